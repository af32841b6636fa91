// Drives a pacai-served echo endpoint with Node's `ws` package and prints what it saw as
// one JSON object: node ws_client.mjs ws://127.0.0.1:PORT
import WebSocket from "ws";

const base = process.argv[2];
const result = {};

function open(path, protocols) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(base + path, protocols);
    const inbox = [];
    const waiting = [];
    ws.on("message", (data, isBinary) => {
      const message = isBinary ? { binary: [...data] } : { text: data.toString("utf8") };
      const next = waiting.shift();
      if (next) next(message);
      else inbox.push(message);
    });
    ws.recv = () =>
      new Promise((done) => (inbox.length ? done(inbox.shift()) : waiting.push(done)));
    ws.closed = new Promise((done) =>
      ws.on("close", (code, reason) => done({ code, reason: reason.toString("utf8") })),
    );
    ws.on("open", () => resolve(ws));
    ws.on("error", reject);
  });
}

const timer = setTimeout(() => {
  console.log(JSON.stringify({ ...result, timeout: true }));
  process.exit(2);
}, 10000);

const ws = await open("/echo", ["pacai.v5"]);
result.protocol = ws.protocol;
result.extensions = ws.extensions;

ws.send("héllo ✓");
result.text = (await ws.recv()).text;

ws.send(Buffer.from([0, 1, 2, 255]));
result.binary = (await ws.recv()).binary;

const large = "L".repeat(60000);
ws.send(large);
result.large = (await ws.recv()).text === large;

ws.send("frag", { fin: false });
ws.send("ment", { fin: false });
ws.send("ed", { fin: true });
result.fragmented = (await ws.recv()).text;

const pong = new Promise((done) => ws.once("pong", (data) => done(data.toString("utf8"))));
ws.ping("are you there");
result.pong = await pong;

ws.send("close:4003:node bye");
result.server_close = await ws.closed;

const second = await open("/echo", []);
second.send("x");
await second.recv();
second.close(4004, "from node");
result.client_close = await second.closed;

clearTimeout(timer);
console.log(JSON.stringify(result));
