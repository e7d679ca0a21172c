// The properties Govflow needs on a BPMN element, edited through bpmn-js commands so undo/redo works.
// Their names come from the page (context.conventions, i.e. engine/conventions.py), never spelled here.

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function propertiesOf(bo) {
  const values = (bo.extensionElements && bo.extensionElements.values) || [];
  return values.find((v) => v.$type === "spiffworkflow:Properties");
}

export function extensionProperty(bo, name) {
  const props = propertiesOf(bo);
  const found = props && (props.properties || []).find((p) => p.name === name);
  return found ? found.value || "" : "";
}

function calledDecision(bo) {
  const values = (bo.extensionElements && bo.extensionElements.values) || [];
  const found = values.find((v) => v.$type === "spiffworkflow:CalledDecisionId");
  return found ? (found.value || "").trim() : "";
}

function timerOf(bo) {
  return (bo.eventDefinitions || []).find((d) => d.$type === "bpmn:TimerEventDefinition");
}

export function createPropertiesPanel(modeler, container, context) {
  const { conventions } = context;
  const timerKinds = [
    [conventions.TIME_DURATION, "时长 (如 \"P5D\")"],
    [conventions.TIME_DATE, "日期 (如 deadline(...))"],
    [conventions.TIME_CYCLE, "循环 (如 \"R3/PT1H\")"],
  ];
  const modeling = modeler.get("modeling");
  const moddle = modeler.get("moddle");
  const registry = modeler.get("elementRegistry");
  const selection = modeler.get("selection");
  const canvas = modeler.get("canvas");
  let current = null;

  function extensionElements(element) {
    const bo = element.businessObject;
    if (!bo.extensionElements) {
      modeling.updateModdleProperties(element, bo, {
        extensionElements: moddle.create("bpmn:ExtensionElements", { values: [] }),
      });
    }
    return bo.extensionElements;
  }

  function setProperty(element, name, value) {
    const ext = extensionElements(element);
    let props = propertiesOf(element.businessObject);
    if (!props) {
      props = moddle.create("spiffworkflow:Properties", { properties: [] });
      modeling.updateModdleProperties(element, ext, { values: [...(ext.values || []), props] });
    }
    const list = props.properties || [];
    const existing = list.find((p) => p.name === name);
    if (existing && value) modeling.updateModdleProperties(element, existing, { value });
    else if (existing) modeling.updateModdleProperties(element, props, { properties: list.filter((p) => p !== existing) });
    else if (value) {
      modeling.updateModdleProperties(element, props, {
        properties: [...list, moddle.create("spiffworkflow:Property", { name, value })],
      });
    }
  }

  function setDecision(element, value) {
    const ext = extensionElements(element);
    const others = (ext.values || []).filter((v) => v.$type !== "spiffworkflow:CalledDecisionId");
    const values = value ? [...others, moddle.create("spiffworkflow:CalledDecisionId", { value })] : others;
    modeling.updateModdleProperties(element, ext, { values });
  }

  function setTimer(element, kind, expression) {
    const definition = timerOf(element.businessObject);
    const update = Object.fromEntries(timerKinds.map(([k]) => [k, undefined]));
    if (expression) update[kind] = moddle.create("bpmn:FormalExpression", { body: expression });
    modeling.updateModdleProperties(element, definition, update);
  }

  function field(label, control, hint) {
    const wrap = el("label", { class: "prop" }, [el("span", { text: label }), control]);
    if (hint) wrap.append(el("small", { text: hint }));
    return wrap;
  }

  function input(name, value, onCommit, attrs = {}) {
    const node = el("input", { name, value: value || "", ...attrs });
    node.addEventListener("change", () => onCommit(node.value.trim()));
    return node;
  }

  function select(name, value, options, onCommit) {
    const node = el("select", { name }, [el("option", { value: "", text: "（无）" })]);
    const known = new Set(options);
    if (value && !known.has(value)) options = [value, ...options];
    for (const option of options) {
      const item = el("option", { value: option, text: option });
      if (option === value) item.selected = true;
      node.append(item);
    }
    node.addEventListener("change", () => onCommit(node.value));
    return node;
  }

  function finder() {
    const options = registry.filter((e) => e.type !== "label" && e.businessObject && e.businessObject.id && !e.type.endsWith("Process") && e.type !== "bpmn:Collaboration")
      .map((e) => [e.id, `${e.businessObject.name || ""} ${e.id}`.trim()])
      .sort((a, b) => a[1].localeCompare(b[1], "zh"));
    const node = el("select", { id: "find-element", "aria-label": "定位元素" }, [el("option", { value: "", text: "定位元素…" })]);
    for (const [id, label] of options) node.append(el("option", { value: id, text: label }));
    node.addEventListener("change", () => { if (node.value) reveal(node.value); });
    return node;
  }

  function reveal(id) {
    const element = registry.get(id);
    if (!element) return;
    selection.select(element);
    // Lifecycle diagrams are wide: zoom to a readable scale before bringing the element into view.
    if (canvas.viewbox().scale < 0.8) canvas.zoom(1);
    canvas.scrollToElement(element, { top: 150, left: 250, right: 250, bottom: 150 });
  }

  function render(element) {
    current = element;
    container.replaceChildren(el("h2", { text: "属性" }), finder());
    if (!element) {
      container.append(el("p", { class: "meta", text: "选择一个环节、泳道、连线或事件以编辑其属性。" }));
      return;
    }
    const bo = element.businessObject;
    const type = bo.$type;
    container.append(el("p", { class: "meta", text: `${type.replace("bpmn:", "")} · ${bo.id}` }));
    container.append(field("名称", input("name", bo.name, (v) => modeling.updateLabel(element, v))));
    const documentation = ((bo.documentation || [])[0] || {}).text || "";
    const article = el("textarea", { name: "documentation", rows: "3" });
    article.value = documentation;
    article.addEventListener("change", () => {
      const text = article.value.trim();
      modeling.updateProperties(element, {
        documentation: text ? [moddle.create("bpmn:Documentation", { text })] : [],
      });
    });
    container.append(field("条款依据", article, "法规条款，如 二(二)1"));
    if (type === "bpmn:UserTask") {
      const { FORM_SCHEMA, FORM_UI_SCHEMA, DUE_DATE } = conventions;
      container.append(field("表单", select(FORM_SCHEMA, extensionProperty(bo, FORM_SCHEMA),
        context.forms(), (v) => setProperty(element, FORM_SCHEMA, v))));
      container.append(field("界面布局", select(FORM_UI_SCHEMA, extensionProperty(bo, FORM_UI_SCHEMA),
        context.uiForms(), (v) => setProperty(element, FORM_UI_SCHEMA, v))));
      container.append(field("办理期限", input(DUE_DATE, extensionProperty(bo, DUE_DATE),
        (v) => setProperty(element, DUE_DATE, v)), "表达式，如 add_working_days(signingDate, 5)"));
      // The committed handling time gives any step a deadline; with a statutory one too, the earlier holds.
      const { COMMITTED_DAYS } = conventions;
      container.append(field("承诺办理时限（工作日）", input(COMMITTED_DAYS, extensionProperty(bo, COMMITTED_DAYS),
        (v) => setProperty(element, COMMITTED_DAYS, v), { type: "number", min: "1", step: "1" }),
        "自任务到达次日起算的工作日数，如 5；与法定期限并存时以较早者为准"));
    }
    if (type === "bpmn:BusinessRuleTask") {
      container.append(field("决策表", select(conventions.CALLED_DECISION, calledDecision(bo), context.decisions(),
        (v) => setDecision(element, v))));
    }
    if (type === "bpmn:Lane") {
      const groups = el("datalist", { id: "known-groups" });
      for (const group of context.groups()) groups.append(el("option", { value: group }));
      container.append(groups);
      const { CANDIDATE_GROUP } = conventions;
      container.append(field("候选组", input(CANDIDATE_GROUP, extensionProperty(bo, CANDIDATE_GROUP),
        (v) => setProperty(element, CANDIDATE_GROUP, v), { list: "known-groups" }), "如 qingyang:data_bureau"));
    }
    const timer = timerOf(bo);
    if (timer) {
      const kind = timerKinds.map(([k]) => k).find((k) => timer[k]) || conventions.TIME_DURATION;
      const expression = timer[kind] ? timer[kind].body || "" : "";
      const kindSelect = el("select", { name: "timerKind" });
      for (const [value, label] of timerKinds) {
        const option = el("option", { value, text: label });
        if (value === kind) option.selected = true;
        kindSelect.append(option);
      }
      const exprInput = input("timerExpression", expression, (v) => setTimer(element, kindSelect.value, v));
      kindSelect.addEventListener("change", () => setTimer(element, kindSelect.value, exprInput.value.trim()));
      container.append(field("计时类型", kindSelect), field("计时表达式", exprInput, "Python 表达式；字面时长须加引号"));
    }
    if (type === "bpmn:SequenceFlow" && bo.sourceRef && bo.sourceRef.$type.endsWith("Gateway")) {
      const condition = bo.conditionExpression ? bo.conditionExpression.body || "" : "";
      container.append(field("条件", input("condition", condition, (v) => modeling.updateProperties(element, {
        conditionExpression: v ? moddle.create("bpmn:FormalExpression", { body: v }) : undefined,
      })), "Python 表达式，如 investmentWan >= 500"));
    }
  }

  modeler.on("selection.changed", ({ newSelection }) => render(newSelection.length === 1 ? newSelection[0] : null));
  modeler.on("elements.changed", ({ elements }) => {
    // Re-read after undo/redo, but never under the cursor of someone typing in the panel.
    if (current && elements.some((e) => e.id === current.id) && !container.contains(document.activeElement)) {
      render(registry.get(current.id) || null);
    }
  });
  render(null);
  return { reveal, refresh: () => render(current ? registry.get(current.id) || null : null) };
}
