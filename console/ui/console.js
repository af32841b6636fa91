// The phase-1 mode screen: connect or run locally, the local server's progress, health,
// and the first admin account. All state lives in Rust; this page renders `console_state`.
"use strict";

(function () {
  const { invoke } = window.pacaiConsole;
  const $ = (id) => document.getElementById(id);
  const views = ["choose", "starting", "failed", "connected", "admin", "stopping"];
  let current = null;
  let pollTimer = null;
  let showingAdmin = false;

  function show(view) {
    for (const name of views) $("view-" + name).hidden = name !== view;
    current = view;
  }

  function say(element, text) {
    element.textContent = text || "";
    element.hidden = !text;
  }

  function errorText(error) {
    if (typeof error === "string") return error;
    if (error && typeof error.message === "string") return error.message;
    return "Something went wrong.";
  }

  function renderHealth(snapshot) {
    const health = snapshot.health;
    const body = $("health-checks");
    body.replaceChildren();
    if (!health) {
      say($("health-summary"), "No health answer yet.");
      return;
    }
    const summary = "Status: " + health.status + (health.version ? " — pacai " + health.version : "") +
      (health.environment ? " (" + health.environment + ")" : "");
    $("health-summary").textContent = summary;
    $("health-summary").className = "status-" + health.status;
    const checks = (health.document && typeof health.document.checks === "object" && health.document.checks) || {};
    for (const [name, check] of Object.entries(checks)) {
      const row = document.createElement("tr");
      const status = check && typeof check.status === "string" ? check.status : "?";
      const details = [];
      if (check && typeof check.latency_ms === "number") details.push(check.latency_ms.toFixed(1) + " ms");
      for (const [key, value] of Object.entries(check || {})) {
        if (key !== "status" && key !== "latency_ms" && (typeof value === "string" || typeof value === "number")) {
          details.push(key + ": " + value);
        }
      }
      for (const text of [name, status, details.join(", ")]) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.append(cell);
      }
      row.children[1].className = "status-" + status;
      body.append(row);
    }
  }

  function render(snapshot) {
    say($("notice"), snapshot.notice);
    if (!$("server-url").value && snapshot.remembered_server) $("server-url").value = snapshot.remembered_server;
    if (!$("data-dir").value) $("data-dir").value = snapshot.data_dir;
    $("pacai-program").textContent = snapshot.pacai.Ok
      ? "pacai: " + snapshot.pacai.Ok
      : "pacai not found: " + snapshot.pacai.Err;
    switch (snapshot.view) {
      case "choose":
        $("where").textContent = "";
        show("choose");
        break;
      case "starting":
        $("where").textContent = "Local server (pid " + snapshot.pid + ")";
        $("starting-status").textContent = "Waiting for the server and its database… " + snapshot.elapsed_seconds + " s";
        $("starting-line").textContent = snapshot.last_line || "";
        show("starting");
        break;
      case "failed":
        $("where").textContent = "";
        $("failed-message").textContent = snapshot.message;
        $("failed-log").textContent = (snapshot.log_tail || []).join("\n") || "(the log is empty)";
        show("failed");
        break;
      case "connected":
        $("where").textContent = (snapshot.local ? "Local server " : "Connected to ") + snapshot.origin +
          (snapshot.pid ? " (pid " + snapshot.pid + ")" : "");
        $("open-create-admin").hidden = !snapshot.local;
        $("leave").textContent = snapshot.local ? "Stop local server" : "Disconnect";
        renderHealth(snapshot);
        if (snapshot.local && current !== "connected" && current !== "admin") checkFirstAdmin();
        show(showingAdmin ? "admin" : "connected");
        break;
      case "stopping":
        show("stopping");
        break;
    }
    // Rust owns the state: poll it (IPC only, no network), quickly while something is changing,
    // slowly while a local server runs so that a close of the window shows "Stopping".
    const busy = snapshot.view === "starting" || snapshot.view === "stopping";
    clearTimeout(pollTimer);
    if (busy) pollTimer = setTimeout(refresh, 400);
    else if (snapshot.view === "connected" && snapshot.local) pollTimer = setTimeout(refresh, 1500);
  }

  async function refresh() {
    try {
      render(await invoke("console_state"));
    } catch (error) {
      say($("notice"), errorText(error));
    }
  }

  async function checkFirstAdmin() {
    try {
      const count = await invoke("local_user_count");
      const hint = $("first-admin-hint");
      if (count === 0) say(hint, "This installation has no accounts yet: create the first admin.");
      else say(hint, "");
    } catch (error) {
      say($("first-admin-hint"), errorText(error));
    }
  }

  async function act(button, errorElement, work) {
    button.disabled = true;
    say(errorElement, "");
    try {
      await work();
    } catch (error) {
      say(errorElement, errorText(error));
    } finally {
      button.disabled = false;
    }
  }

  $("connect-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act($("connect-button"), $("connect-error"), async () => {
      render(await invoke("connect", { url: $("server-url").value }));
    });
  });

  $("local-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act($("local-button"), $("local-error"), async () => {
      render(await invoke("start_local", { dataDir: $("data-dir").value }));
    });
  });

  $("failed-back").addEventListener("click", () => act($("failed-back"), $("notice"), async () => {
    render(await invoke("back_to_start"));
  }));

  $("leave").addEventListener("click", () => act($("leave"), $("health-error"), async () => {
    show("stopping");
    showingAdmin = false;
    render(await invoke("back_to_start"));
  }));

  $("refresh-health").addEventListener("click", () => act($("refresh-health"), $("health-error"), async () => {
    render(await invoke("refresh_health"));
  }));

  $("open-create-admin").addEventListener("click", () => {
    showingAdmin = true;
    say($("admin-error"), "");
    say($("admin-result"), "");
    show("admin");
    $("admin-email").focus();
  });

  $("admin-back").addEventListener("click", () => {
    showingAdmin = false;
    show("connected");
    checkFirstAdmin();
  });

  $("admin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    say($("admin-result"), "");
    act($("admin-create"), $("admin-error"), async () => {
      const message = await invoke("create_admin", {
        email: $("admin-email").value,
        password: $("admin-password").value,
        passwordAgain: $("admin-password-again").value,
      });
      $("admin-password").value = "";
      $("admin-password-again").value = "";
      say($("admin-result"), message);
    });
  });

  refresh();
})();
