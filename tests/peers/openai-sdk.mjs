// The official openai npm SDK (pinned in package.json) as a client of the proxy.
//   node openai-sdk.mjs BASE_URL [MODEL]
// Sends a chat completion, a streamed chat completion and an embeddings request through BASE_URL
// (e.g. http://127.0.0.1:3005/v1) and checks what the SDK parsed. Prints one line per check;
// exits 1 on the first failure.
import OpenAI from 'openai';

const [baseURL, model = 'gpt-4o-mini'] = process.argv.slice(2);
if (!baseURL) {
  console.error('usage: node openai-sdk.mjs BASE_URL [MODEL]');
  process.exit(2);
}
const client = new OpenAI({ baseURL, apiKey: process.env.LGB_SDK_API_KEY || 'sk-lgb-sdk', maxRetries: 0, timeout: 10000 });

function check(cond, what) {
  if (!cond) {
    console.error(`FAIL ${what}`);
    process.exit(1);
  }
  console.log(`ok ${what}`);
}

try {
  const chat = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Say hi' }] });
  check(chat.object === 'chat.completion', `chat: object is chat.completion (${chat.object})`);
  const text = chat.choices?.[0]?.message?.content ?? '';
  check(typeof text === 'string' && text.length > 0, `chat: non-empty content (${text.length} chars)`);

  const stream = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'Count' }] });
  let chunks = 0, content = '', finish = null;
  for await (const chunk of stream) {
    chunks++;
    content += chunk.choices?.[0]?.delta?.content ?? '';
    finish = chunk.choices?.[0]?.finish_reason ?? finish;
  }
  check(chunks >= 2, `stream: ${chunks} chunks`);
  check(content.length > 0, `stream: assembled ${content.length} chars`);
  check(finish === 'stop', `stream: finish_reason ${finish}`);

  // encoding_format 'float' explicitly: the SDK's default asks for base64, which mock-llm does not
  // implement yet (it answers floats, and the SDK then decodes them as bytes: a wrong length).
  const dim = Number(process.env.LGB_SDK_EMBEDDING_DIM || 1536);
  const emb = await client.embeddings.create({ model: process.env.LGB_SDK_EMBEDDING_MODEL || 'text-embedding-3-small',
                                               input: 'hello', encoding_format: 'float' });
  const vec = emb.data?.[0]?.embedding;
  check(Array.isArray(vec) && vec.length === dim && typeof vec[0] === 'number', `embeddings: vector of ${vec?.length} (want ${dim})`);
  // The SDK's raw response: the proxy's timing header must reach the client.
  const { response } = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }).withResponse();
  check(/proxy;dur=/.test(response.headers.get('server-timing') ?? ''), `headers: Server-Timing ${response.headers.get('server-timing')}`);
} catch (e) {
  console.error(`FAIL ${e?.constructor?.name}: ${e?.status ?? ''} ${e?.message}`);
  process.exit(1);
}
