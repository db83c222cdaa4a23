// Text for context entries: shaped like what agents store (chat turns, tool
// calls with JSON, file contents, system notes), cut to the sampled size.
import type {ContextType} from './workload.js';

const prose =
	'The failing test points at the retry loop in the payment client: it re-sends the request after a timeout even when ' +
	'the first attempt was accepted upstream. I traced it through the idempotency key handling and the cache layer, and ' +
	'suggest we keep the key per logical operation instead of per attempt. Next step: update the handler, add a test for ' +
	'the double-submit case, and hand the review to the other agent with the context below. ';
const code =
	'export async function submitPayment(client: Client, order: Order): Promise<Receipt> {\n' +
	'  const key = idempotencyKey(order.id);\n' +
	'  for (let attempt = 0; attempt < 3; attempt++) {\n' +
	'    const response = await client.post("/payments", {order, key});\n' +
	'    if (response.ok) return response.json() as Promise<Receipt>;\n' +
	'    if (response.status < 500) throw new PaymentError(response.status);\n' +
	'  }\n' +
	'  throw new PaymentError(503);\n' +
	'}\n';

function fill(head: string, body: string, size: number): string {
	let text = head;
	while (text.length < size) text += body;
	return text.slice(0, size);
}

export function contextContent(type: ContextType, size: number, sequence: number): string {
	switch (type) {
		case 'message':
			return fill(`[turn ${sequence}] `, prose, size);
		case 'tool_call':
			return fill(`{"tool":"run_tests","call":${sequence},"args":{"pattern":"payments/**"},"output":"`, `${prose.replaceAll('"', "'")}`, size);
		case 'file':
			return fill(`// src/payments/client.ts (snapshot ${sequence})\n`, code, size);
		case 'system':
			return fill(`[system] `, 'context window trimmed; summary kept. ', size);
	}
}
