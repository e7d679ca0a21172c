// The JSON-schema form editor: schema and uiSchema as text, the form rendered live as a clerk will see it.
import { createRoot } from "react-dom/client";
import { Component } from "react";
import Form from "@rjsf/core";
import { FORM_DEFAULTS, OMIT_HIDDEN, withoutBranchSummaries, expandShared, makeFormValidator, withDependencies } from "./form-validator.js";

const validator = makeFormValidator("zh");

// A schema that rjsf cannot render must not take the editor page down with it.
class Guard extends Component {
  constructor(props) { super(props); this.state = { failure: null }; }
  static getDerivedStateFromError(failure) { return { failure }; }
  componentDidUpdate(previous) {
    if (previous.version !== this.props.version && this.state.failure) this.setState({ failure: null });
  }
  render() {
    if (this.state.failure) return <p className="errors">无法预览：{String(this.state.failure.message || this.state.failure)}</p>;
    return this.props.children;
  }
}

function describe(error, text) {
  // JSON.parse names a position; turn it into a line and column people can find.
  const match = /position (\d+)/.exec(error.message);
  if (!match) return error.message;
  const before = text.slice(0, Number(match[1]));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return `${error.message}（第 ${line} 行，第 ${column} 列）`;
}

export function createFormEditor({ schemaText, uiText, preview, errorBox, sharedFields }) {
  const root = createRoot(preview);
  let version = 0;

  function parse(text, name) {
    if (!text.trim()) return {};
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new Error(`${name}: ${describe(error, text)}`);
    }
  }

  function render() {
    version += 1;
    let schema;
    let uiSchema;
    try {
      schema = withDependencies(expandShared(parse(schemaText.value, "JSON Schema"), sharedFields));
      uiSchema = parse(uiText.value, "uiSchema");
      if (schema.type !== "object") throw new Error('JSON Schema: 表单须为 "type": "object"');
    } catch (error) {
      errorBox.hidden = false;
      errorBox.textContent = error.message;
      return;
    }
    errorBox.hidden = true;
    root.render(
      <Guard version={version}>
        <Form schema={schema} {...OMIT_HIDDEN} transformErrors={withoutBranchSummaries} uiSchema={uiSchema} validator={validator} liveValidate={false} noHtml5Validate
          experimental_defaultFormStateBehavior={FORM_DEFAULTS}
          onSubmit={() => {}}><button type="submit">校验示例提交</button></Form>
      </Guard>,
    );
  }

  let pending = null;
  for (const area of [schemaText, uiText]) {
    area.addEventListener("input", () => {
      clearTimeout(pending);
      pending = setTimeout(render, 250);
    });
  }

  return {
    open(schema, ui) {
      schemaText.value = schema;
      uiText.value = ui;
      render();
    },
    texts() {
      return { schema: schemaText.value, ui: uiText.value };
    },
  };
}
