// Is the handoff schema present and current? The monitor opens on the Schema
// screen unless state is 'current'. The one classifier every command uses
// (source/db/schemaState.ts).
export {classifySchema as schemaState, type SchemaState} from '../db/schemaState.js';
