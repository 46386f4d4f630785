// The plugin console: polls the server's /console/api/* and renders what ChatGPT will see.
"use strict";

const $ = (selector) => document.querySelector(selector);
// The spec (or why there is none) the operations and tools were last drawn from.
const state = { specShown: undefined, auth: "none" };

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function authHeaders() {
  const value = $("#authorization").value.trim();
  return value ? { Authorization: value } : {};
}

async function getJSON(url, headers = {}) {
  const response = await fetch(url, { headers, cache: "no-store" });
  return { status: response.status, body: await response.json() };
}

function renderHeader(data) {
  const manifest = data.manifest || {};
  $("#name").textContent = manifest.name_for_human || "Plugin console";
  $("#description").textContent = manifest.description_for_human || "";
  document.title = `${manifest.name_for_human || "Plugin"} · console`;
  if (manifest.logo_url && $("#logo").getAttribute("src") !== manifest.logo_url) {
    $("#logo").src = manifest.logo_url;
  }
  $("#install-url").textContent = data.install_url;
  $("#manifest").textContent = data.manifest ? JSON.stringify(data.manifest, null, 2) : "(not available)";
  $("#spec").textContent = data.spec_yaml || "(not available)";
  state.auth = data.auth;
  $("#auth-badge").textContent = `auth: ${data.auth}`;
  $("#proxy-badge").hidden = !data.proxy_upstream;
  $("#proxy-badge").textContent = data.proxy_upstream ? `proxying to ${data.proxy_upstream}` : "";
  $("#auth-card").hidden = data.auth === "none";
  $("#auth-mode").textContent = data.auth;
}

function renderLint(data) {
  const lint = data.lint;
  const summary = $("#lint-summary");
  if (lint.could_not_check) {
    summary.textContent = "could not check";
    summary.className = "pill bad";
  } else if (lint.errors) {
    summary.textContent = `${lint.errors} error${lint.errors > 1 ? "s" : ""}, ${lint.warnings} warning${lint.warnings === 1 ? "" : "s"}`;
    summary.className = "pill bad";
  } else if (lint.warnings) {
    summary.textContent = `${lint.warnings} warning${lint.warnings > 1 ? "s" : ""}`;
    summary.className = "pill warn";
  } else {
    summary.textContent = "all clear";
    summary.className = "pill ok";
  }
  const unserved = [data.manifest_error, data.spec_error].filter(Boolean);
  $("#problems").replaceChildren(
    ...data.problems.map((text) =>
      el("div", { class: "problem" },
        unserved.includes(text) ? `Not served, no good version yet: ${text}` : `Serving the last good version: ${text}`)),
  );
  const list = $("#findings");
  if (lint.could_not_check) {
    list.replaceChildren(el("li", { class: "error" }, lint.could_not_check));
  } else if (!lint.findings.length) {
    list.replaceChildren(el("li", { class: "clean" }, "The manifest and the spec pass every check."));
  } else {
    list.replaceChildren(
      ...lint.findings.map((finding) =>
        el(
          "li",
          { class: finding.severity },
          el("div", { class: "where" }, `${finding.severity} · ${finding.path}`),
          el("div", {}, finding.message),
          el("div", { class: "fix" }, `Fix: ${finding.fix}`),
        ),
      ),
    );
  }
}

function fieldFor(operation, parameter) {
  const input = el("input", {
    name: parameter.name,
    placeholder: parameter.default !== null && parameter.default !== undefined ? String(parameter.default) : parameter.type,
    required: parameter.required,
  });
  input.dataset.in = parameter.in;
  const hint = `${parameter.in}${parameter.required ? ", required" : ""}${parameter.description ? " · " + parameter.description : ""}`;
  return el("label", { class: "field" }, parameter.name, " ", el("span", { class: "hint" }, hint), input);
}

async function tryOperation(operation, form, output) {
  let path = operation.path;
  const query = new URLSearchParams();
  const headers = { ...authHeaders() };
  for (const input of form.querySelectorAll("input[data-in]")) {
    const value = input.value;
    if (input.dataset.in === "path") path = path.replace(`{${input.name}}`, encodeURIComponent(value));
    else if (value !== "" && input.dataset.in === "query") query.set(input.name, value);
    else if (value !== "" && input.dataset.in === "header") headers[input.name] = value;
  }
  const init = { method: operation.method, headers };
  const body = form.querySelector("textarea");
  if (body) {
    init.body = body.value;
    headers["Content-Type"] = operation.body.media_type;
  }
  const url = path + (query.toString() ? `?${query}` : "");
  const started = performance.now();
  let status, text;
  try {
    const response = await fetch(url, init);
    status = response.status;
    text = await response.text();
    try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (ignored) { /* not JSON */ }
  } catch (error) {
    status = 0;
    text = String(error);
  }
  const ms = Math.round(performance.now() - started);
  const kind = status >= 200 && status < 300 ? "ok" : status >= 400 || status === 0 ? "bad" : "warn";
  output.replaceChildren(
    el("div", { class: "result" },
      el("div", { class: "head" },
        el("span", { class: `status ${kind}` }, String(status || "error")),
        el("span", { class: "mono" }, `${operation.method} ${url}`),
        el("span", { class: "muted" }, `${ms} ms`)),
      el("pre", { class: "response" }, text)),
  );
  refreshCalls();
}

// Where a list would be, why the spec gives none: it has never loaded.
function specError(text) {
  return el("p", { class: "problem" }, `The spec cannot be read: ${text}`);
}

function renderOperations(operations, error) {
  const container = $("#operations");
  if (error) {
    container.replaceChildren(specError(error));
    return;
  }
  if (!operations.length) {
    container.replaceChildren(el("p", { class: "muted" }, "The spec has no operations."));
    return;
  }
  container.replaceChildren(
    ...operations.map((operation) => {
      const form = el("form", {});
      form.append(...operation.parameters.map((parameter) => fieldFor(operation, parameter)));
      if (operation.body) {
        form.append(
          el("label", { class: "field" }, "Body ", el("span", { class: "hint" }, operation.body.media_type),
            el("textarea", { name: "body", value: JSON.stringify(operation.body.example, null, 2) })),
        );
      }
      const output = el("div", {});
      form.append(el("div", { class: "actions" }, el("button", { type: "submit" }, "Send")));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        tryOperation(operation, form, output);
      });
      return el("details", { class: "card op", "data-operation": operation.id },
        el("summary", {},
          el("span", { class: `method ${operation.method}` }, operation.method),
          el("span", { class: "path mono" }, operation.path),
          el("span", { class: "opid" }, operation.id)),
        el("div", { class: "body" }, el("p", { class: "summary" }, operation.summary), form, output));
    }),
  );
}

function toolKind(annotations) {
  if (annotations.readOnlyHint) return ["read", "read-only"];
  if (annotations.destructiveHint) return ["destructive", "destructive"];
  return ["write", "writes"];
}

function pretty(value) {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

// One tools/call to /mcp, as an MCP client sends it: no session, the caller's own credential.
async function callTool(mcp, tool, textarea, output) {
  let status, kind, text;
  let args;
  try {
    args = JSON.parse(textarea.value || "{}");
  } catch (error) {
    [status, kind, text] = ["not sent", "bad", `The arguments are not valid JSON: ${error.message}`];
  }
  const started = performance.now();
  if (args !== undefined) {
    const headers = {
      ...authHeaders(),
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      "MCP-Protocol-Version": mcp.protocol_version,
    };
    const message = { jsonrpc: "2.0", id: Date.now(), method: "tools/call", params: { name: tool.name, arguments: args } };
    try {
      const response = await fetch(mcp.path, { method: "POST", headers, body: JSON.stringify(message) });
      const raw = await response.text();
      let body = null;
      try { body = JSON.parse(raw); } catch (ignored) { /* not JSON */ }
      if (body?.jsonrpc && body.error) {
        [status, kind, text] = [`error ${body.error.code}`, "bad", pretty(body.error.data ? body.error : body.error.message)];
      } else if (body?.jsonrpc && body.result) {
        const result = body.result;
        const words = (result.content || []).filter((part) => part.type === "text").map((part) => part.text).join("\n");
        if (result.isError) [status, kind, text] = ["isError", "bad", words];
        else [status, kind, text] = ["ok", "ok", result.structuredContent !== undefined ? pretty(result.structuredContent) : words];
      } else {
        [status, kind, text] = [String(response.status), "bad", body ? pretty(body) : raw];
      }
    } catch (error) {
      [status, kind, text] = ["error", "bad", String(error)];
    }
  }
  const ms = Math.round(performance.now() - started);
  output.replaceChildren(
    el("div", { class: "result" },
      el("div", { class: "head" },
        el("span", { class: `status ${kind}` }, status),
        el("span", { class: "mono" }, `tools/call ${tool.name}`),
        el("span", { class: "muted" }, `${ms} ms`)),
      el("pre", { class: "response" }, text)),
  );
  refreshCalls();
}

function renderTools(mcp, error) {
  $("#mcp-section").hidden = !mcp;
  if (!mcp) return;
  $("#mcp-endpoint").textContent = `POST ${mcp.path} · MCP ${mcp.protocol_version}`;
  const container = $("#tools");
  if (error) {
    container.replaceChildren(specError(error));
    return;
  }
  if (!mcp.tools.length) {
    container.replaceChildren(el("p", { class: "muted" }, "The spec gives no tools."));
    return;
  }
  container.replaceChildren(
    ...mcp.tools.map((tool) => {
      const [kind, label] = toolKind(tool.annotations || {});
      const textarea = el("textarea", { name: "arguments", value: JSON.stringify(tool.example ?? {}, null, 2) });
      const output = el("div", {});
      const form = el("form", {},
        el("label", { class: "field" }, "Arguments ", el("span", { class: "hint" }, "JSON, checked against the input schema"), textarea),
        el("div", { class: "actions" }, el("button", { type: "submit" }, "Call tool")));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        callTool(mcp, tool, textarea, output);
      });
      const hints = Object.entries(tool.annotations || {}).map(([name, value]) =>
        el("span", { class: `pill ${value ? "on" : ""}` }, `${name}: ${value}`));
      const firstLine = (tool.description || "").split("\n")[0];
      return el("details", { class: "card op tool", "data-tool": tool.name },
        el("summary", {},
          el("span", { class: `kind ${kind}` }, label),
          el("span", { class: "path mono" }, tool.name),
          el("span", { class: "opid" }, firstLine)),
        el("div", { class: "body" },
          el("p", { class: "summary description" }, tool.description),
          el("p", { class: "hints" }, el("span", { class: "muted" }, "annotations"), ...hints),
          el("details", { class: "schema" },
            el("summary", {}, "Input schema"),
            el("pre", {}, JSON.stringify(tool.inputSchema, null, 2))),
          tool.outputSchema
            ? el("details", { class: "schema" }, el("summary", {}, "Output schema"), el("pre", {}, JSON.stringify(tool.outputSchema, null, 2)))
            : null,
          form, output));
    }),
  );
}

async function refreshOverview() {
  try {
    const { body } = await getJSON("/console/api/overview");
    renderHeader(body);
    renderLint(body);
    const shown = body.spec_yaml ?? `error: ${body.spec_error}`;
    if (shown !== state.specShown) {
      state.specShown = shown;
      renderOperations(body.operations, body.spec_error);
      renderTools(body.mcp, body.spec_error);
    }
  } catch (error) {
    $("#lint-summary").textContent = "server unreachable";
    $("#lint-summary").className = "pill bad";
  }
}

// Recent calls are the operator's: they take the admin token, never the API's credential.
function adminHeaders() {
  const token = $("#admin-token").value.trim();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function refreshCalls() {
  try {
    const { status, body } = await getJSON("/console/api/calls", adminHeaders());
    const note = $("#calls-note");
    if (status !== 200) {
      $("#calls").replaceChildren();
      note.textContent = body.error_description || `Recent calls answered ${status}.`;
      if (status === 401) $("#admin-field").hidden = false;
      return;
    }
    note.textContent = body.length ? "" : "No calls yet. Try an operation, or install the plugin in ChatGPT.";
    $("#calls").replaceChildren(
      ...body.slice(0, 30).map((call) => {
        const kind = call.status < 300 ? "ok" : call.status < 400 ? "warn" : "bad";
        return el("tr", {},
          el("td", { class: "muted" }, new Date(call.at * 1000).toLocaleTimeString([], { hour12: false })),
          el("td", {}, el("span", { class: `method ${call.method}` }, call.method)),
          el("td", { class: "path" }, call.path),
          el("td", {}, el("span", { class: `status ${kind}` }, String(call.status))),
          el("td", { class: "muted" }, String(Math.round(call.ms))));
      }),
    );
  } catch (error) {
    /* the overview poll reports an unreachable server */
  }
}

$("#copy-url").addEventListener("click", () => navigator.clipboard?.writeText($("#install-url").textContent));
$("#admin-token").addEventListener("change", refreshCalls);
refreshOverview();
refreshCalls();
setInterval(refreshOverview, 2000);
setInterval(refreshCalls, 2000);
