// The console's bridge to Rust: the only way this page reaches a server or the local pacai.
// The page's CSP allows no network besides Tauri's IPC; `consoleFetch` is a drop-in `fetch`
// for the Studio's API client (phase 2: `createClient({ baseUrl: "", fetch: consoleFetch })`)
// that sends each call through the `api_request` command to the chosen server's origin.
"use strict";

(function () {
  const tauri = window.__TAURI__;

  function invoke(command, args) {
    if (!tauri || !tauri.core) {
      return Promise.reject("This page runs only inside PacAI Console.");
    }
    return tauri.core.invoke(command, args || {});
  }

  async function consoleFetch(input, init) {
    const request = input instanceof Request ? input : new Request(new URL(input, "http://console.invalid/"), init);
    const url = new URL(request.url);
    const headers = [];
    request.headers.forEach((value, name) => headers.push([name, value]));
    const body = ["GET", "HEAD", "DELETE"].includes(request.method) ? null : await request.text();
    const answer = await invoke("api_request", {
      method: request.method,
      path: url.pathname + url.search,
      headers,
      body,
    });
    const nullBody = answer.status === 204 || answer.status === 304 || request.method === "HEAD";
    return new Response(nullBody ? null : answer.body, { status: answer.status, headers: answer.headers });
  }

  window.pacaiConsole = Object.freeze({ invoke, fetch: consoleFetch });
})();
