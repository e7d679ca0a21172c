// The modeler page: BPMN diagrams (bpmn-js), DMN tables (dmn-js) and JSON-schema forms of one bundle's draft.
import BpmnModeler from "bpmn-js/lib/Modeler";
import DmnModeler from "dmn-js/lib/Modeler";
import spiffworkflow from "./spiffworkflow.json";
import { createPropertiesPanel } from "./bpmn-properties.js";
import { createFormEditor } from "./form-editor.jsx";

const config = JSON.parse(document.getElementById("modeler-config").textContent);
// The extension names Govflow reads (engine/conventions.py), sent with the page so they are spelled once.
const conventions = config.conventions;
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const $ = (id) => document.getElementById(id);

const state = {
  files: { ...config.files },      // what the editors hold, including unsaved edits
  saved: { ...config.files },      // what the server's draft (or deployment) holds
  revision: config.revision,
  open: null,                      // { kind, path, uiPath, baseline }
  problems: [],
};

const bpmn = new BpmnModeler({ container: $("bpmn-canvas"), moddleExtensions: { spiffworkflow } });
const dmn = new DmnModeler({ container: $("dmn-canvas"), common: { keyboard: { bindTo: window } } });
const forms = createFormEditor({
  schemaText: $("schema-text"), uiText: $("ui-text"), preview: $("form-preview"), errorBox: $("form-source-error"),
  sharedFields: conventions.SHARED_FIELDS,
});

const names = (prefix, suffix) => Object.keys(state.files).filter((p) => p.startsWith(prefix) && p.endsWith(suffix))
  .map((p) => p.slice(prefix.length)).sort();
const groupProperty = new RegExp(`name="${conventions.CANDIDATE_GROUP}" value="([^"]+)"`, "g");
const panel = createPropertiesPanel(bpmn, $("properties"), {
  conventions,
  forms: () => names("forms/", conventions.FORM_SCHEMA_SUFFIX),
  uiForms: () => names("forms/", conventions.FORM_UI_SCHEMA_SUFFIX),
  decisions: () => [...new Set(Object.entries(state.files).filter(([p]) => p.endsWith(".dmn"))
    .flatMap(([, text]) => [...text.matchAll(/<(?:\w+:)?decision\b[^>]*\bid="([^"]+)"/g)].map((m) => m[1])))].sort(),
  groups: () => [...new Set(Object.entries(state.files).filter(([p]) => p.endsWith(".bpmn"))
    .flatMap(([, text]) => [...text.matchAll(groupProperty)].map((m) => m[1])))].sort(),
});

function status(message, kind = "info") {
  const box = $("status");
  box.className = `status-${kind}`;
  box.textContent = message;
}

function describeDraft() {
  const changed = Object.keys(state.files).filter((p) => state.files[p] !== state.saved[p]);
  $("draft-state").textContent = state.revision === null ? "（与已部署版本相同，尚无草稿）"
    : `（草稿修订 ${state.revision}${changed.length ? `，${changed.length} 个文件未保存` : ""}）`;
}

function renderFiles() {
  const nav = $("files");
  nav.replaceChildren();
  const groups = [["流程图", ".bpmn", "bpmn/"], ["决策表", ".dmn", "dmn/"], ["表单", conventions.FORM_SCHEMA_SUFFIX, "forms/"]];
  for (const [title, suffix, prefix] of groups) {
    nav.append(Object.assign(document.createElement("h3"), { textContent: title }));
    const list = document.createElement("ul");
    for (const path of Object.keys(state.files).filter((p) => p.startsWith(prefix) && p.endsWith(suffix)).sort()) {
      const item = document.createElement("li");
      const button = Object.assign(document.createElement("button"), { type: "button", className: "file" });
      button.textContent = path.slice(prefix.length);
      button.dataset.path = path;
      const dirty = state.files[path] !== state.saved[path] || (state.open && state.open.path === path && isDirty());
      if (dirty) button.classList.add("dirty");
      if (state.problems.some((p) => p.file === path)) button.classList.add("has-problems");
      if (state.open && state.open.path === path) button.classList.add("open");
      button.addEventListener("click", () => openFile(path));
      item.append(button);
      list.append(item);
    }
    nav.append(list);
  }
  const add = Object.assign(document.createElement("button"), { type: "button", id: "new-form", textContent: "新建表单" });
  add.addEventListener("click", newForm);
  nav.append(add);
  describeDraft();
}

async function currentText() {
  const open = state.open;
  if (!open) return {};
  if (open.kind === "bpmn") return { [open.path]: (await bpmn.saveXML({ format: true })).xml };
  if (open.kind === "dmn") return { [open.path]: (await dmn.saveXML({ format: true })).xml };
  const { schema, ui } = forms.texts();
  return ui.trim() || state.files[open.uiPath] !== undefined ? { [open.path]: schema, [open.uiPath]: ui } : { [open.path]: schema };
}

function isDirty() {
  return state.open && state.open.dirty;
}

// Editors re-serialize XML on export; compare with what they exported right after opening, not the raw file.
async function captureOpen() {
  const open = state.open;
  if (!open) return;
  const texts = await currentText();
  for (const [path, text] of Object.entries(texts)) {
    if (text !== open.baseline[path]) state.files[path] = text;
  }
}

async function openFile(path) {
  await captureOpen();
  for (const id of ["bpmn-canvas", "dmn-canvas", "form-editor"]) $(id).hidden = true;
  $("properties").hidden = true;
  if (path.endsWith(".bpmn")) {
    $("bpmn-canvas").hidden = false;
    $("properties").hidden = false;
    await bpmn.importXML(state.files[path]);
    const canvas = bpmn.get("canvas");
    canvas.zoom("fit-viewport");
    if (canvas.viewbox().scale < 0.5) {
      // A whole lifecycle fitted into the window is unreadable: start at the start event instead.
      const start = bpmn.get("elementRegistry").find((e) => e.type === "bpmn:StartEvent");
      canvas.zoom(0.9);
      if (start) canvas.scrollToElement(start, { top: 200, left: 80, right: 600, bottom: 200 });
    }
    state.open = { kind: "bpmn", path, baseline: { [path]: (await bpmn.saveXML({ format: true })).xml } };
    markProblems();
  } else if (path.endsWith(".dmn")) {
    $("dmn-canvas").hidden = false;
    await dmn.importXML(state.files[path]);
    const table = dmn.getViews().find((view) => view.type === "decisionTable");
    if (table) await dmn.open(table);
    state.open = { kind: "dmn", path, baseline: { [path]: (await dmn.saveXML({ format: true })).xml } };
  } else {
    $("form-editor").hidden = false;
    const schemaSuffix = conventions.FORM_SCHEMA_SUFFIX;
    const uiPath = path.endsWith(schemaSuffix) ? path.slice(0, -schemaSuffix.length) + conventions.FORM_UI_SCHEMA_SUFFIX : path;
    forms.open(state.files[path], state.files[uiPath] || "");
    state.open = { kind: "form", path, uiPath, baseline: await currentText() };
  }
  document.body.dataset.open = path;
  renderFiles();
  $("workspace").dataset.ready = "true";
}

function newForm() {
  const name = (window.prompt("表单文件名（小写字母、数字、下划线）") || "").trim();
  if (!name) return;
  if (!/^[a-z][a-z0-9_]*$/.test(name)) { status("表单文件名只能包含小写字母、数字和下划线", "error"); return; }
  const path = `forms/${name}${conventions.FORM_SCHEMA_SUFFIX}`;
  if (state.files[path] !== undefined) { status(`${path} 已存在`, "error"); return; }
  state.files[path] = JSON.stringify({ $schema: "https://json-schema.org/draft/2020-12/schema", type: "object",
    title: name, properties: {}, required: [], additionalProperties: false }, null, 2);
  openFile(path);
}

async function request(url, body) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body || {}),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(data.message || response.statusText), { status: response.status, data });
  return data;
}

async function save() {
  await captureOpen();
  const dirty = Object.keys(state.files).filter((p) => state.files[p] !== state.saved[p]).sort();
  for (const path of dirty) {
    const draft = await request(config.urls.save, { path, text: state.files[path], revision: state.revision });
    state.revision = draft.revision;
    state.saved[path] = state.files[path];
  }
  if (state.open) {
    state.open.baseline = await currentText();
    state.open.dirty = false;
  }
  renderFiles();
  return dirty.length;
}

function markProblems() {
  if (!state.open || state.open.kind !== "bpmn") return;
  const canvas = bpmn.get("canvas");
  const overlays = bpmn.get("overlays");
  const registry = bpmn.get("elementRegistry");
  overlays.remove({ type: "problem" });
  for (const element of registry.getAll()) canvas.removeMarker(element, "gf-problem");
  for (const problem of state.problems.filter((p) => p.file === state.open.path && p.element)) {
    if (!registry.get(problem.element)) continue;
    canvas.addMarker(problem.element, "gf-problem");
    const note = Object.assign(document.createElement("div"), { className: "gf-problem-note", textContent: problem.message });
    note.dataset.element = problem.element;
    overlays.add(problem.element, "problem", { position: { bottom: -6, left: 0 }, html: note });
  }
}

function showProblems(problems) {
  state.problems = problems || [];
  const list = $("problems");
  list.replaceChildren();
  for (const problem of state.problems) {
    const item = document.createElement("li");
    const where = `${problem.file}${problem.line ? `:${problem.line}` : ""}${problem.element ? ` [${problem.element}]` : ""}`;
    const link = Object.assign(document.createElement("button"), { type: "button", className: "link", textContent: where });
    link.addEventListener("click", async () => {
      if (state.files[problem.file] !== undefined) await openFile(problem.file);
      if (problem.element && state.open && state.open.kind === "bpmn") panel.reveal(problem.element);
    });
    item.append(link, document.createTextNode(`：${problem.message}`));
    list.append(item);
  }
  if (!state.problems.length) list.append(Object.assign(document.createElement("li"), { className: "empty", textContent: "没有问题" }));
  markProblems();
  renderFiles();
}

function failure(error) {
  if (error.data && error.data.problems) showProblems(error.data.problems);
  const fields = (error.data && error.data.fields) || [];
  const detail = fields.map((f) => `${f.field}：${f.message}`).join("；");
  const hint = error.status === 409 ? "（草稿已被他人保存，请刷新页面后再修改）" : "";
  status(`${error.message}${detail ? `：${detail}` : ""}${hint}`, "error");
}

$("save").addEventListener("click", async () => {
  try {
    const count = await save();
    status(count ? `已保存 ${count} 个文件（草稿修订 ${state.revision}）` : "没有需要保存的修改", "ok");
  } catch (error) { failure(error); }
});

$("validate").addEventListener("click", async () => {
  try {
    await save();
    const result = await request(config.urls.validate);
    showProblems(result.problems);
    status(result.ok ? "校验通过，可以部署" : `发现 ${result.problems.length} 个问题`, result.ok ? "ok" : "error");
  } catch (error) { failure(error); }
});

$("deploy").addEventListener("click", async () => {
  const note = $("deploy-note").value.trim();
  if (!note) { status("请填写变更说明", "error"); $("deploy-note").focus(); return; }
  try {
    await save();
    if (state.revision === null) { status("草稿中没有可部署的修改", "error"); return; }
    const result = await request(config.urls.deploy, { revision: state.revision, tag: $("deploy-tag").value.trim(), note });
    showProblems([]);
    if (!result.created) { offerEarlierVersions(result.not_current); return; }
    state.revision = null;
    const box = $("status");
    box.className = "status-ok";
    box.replaceChildren(document.createTextNode("已部署："));
    for (const version of result.versions) {
      box.append(Object.assign(document.createElement("a"), { href: version.url, textContent: `${version.process_id} v${version.version}` }), " ");
    }
    describeDraft();
  } catch (error) { failure(error); }
});

// The draft is content deployed before, whose versions new instances no longer start on: nothing was deployed,
// and making those versions current again is one click (the same form as on the versions page).
function offerEarlierVersions(versions) {
  const box = $("status");
  box.className = "status-warn";
  box.replaceChildren(document.createTextNode("草稿与已部署过的版本完全相同，没有生成新版本；新发起的项目目前不使用这些版本。"));
  for (const version of versions) {
    const form = Object.assign(document.createElement("form"), { method: "post", action: version.make_current });
    form.className = "inline";
    for (const [name, value] of [["csrf_token", csrf], ["version", String(version.version)]]) {
      form.append(Object.assign(document.createElement("input"), { type: "hidden", name, value }));
    }
    form.append(Object.assign(document.createElement("button"), {
      type: "submit", textContent: `将「${version.name}」v${version.version} 设为当前版本`,
    }));
    box.append(" ", form);
  }
}

window.addEventListener("beforeunload", (event) => {
  if (Object.keys(state.files).some((p) => state.files[p] !== state.saved[p]) || isDirty()) event.preventDefault();
});

bpmn.on("commandStack.changed", () => { if (state.open) state.open.dirty = true; });

const first = Object.keys(state.files).filter((p) => p.endsWith(".bpmn")).sort()[0];
if (first) openFile(first).catch((error) => status(`无法打开 ${first}：${error.message}`, "error"));
renderFiles();
