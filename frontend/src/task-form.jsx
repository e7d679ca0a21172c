// Render a task's JSON Schema form with rjsf; submit to the server, which validates again.
import { createRoot } from "react-dom/client";
import { useState } from "react";
import Form from "@rjsf/core";
import { englishStringTranslator, TranslatableString } from "@rjsf/utils";
import { FORM_DEFAULTS, OMIT_HIDDEN, withoutBranchSummaries, makeFormValidator, withDependencies } from "./form-validator.js";

// rjsf's own words (the error list title, array buttons) in Chinese, the rest as rjsf has them.
const CHINESE = {
  [TranslatableString.ErrorsLabel]: "错误",
  [TranslatableString.AddItemButton]: "添加",
  [TranslatableString.RemoveButton]: "删除",
  [TranslatableString.MoveUpButton]: "上移",
  [TranslatableString.MoveDownButton]: "下移",
  [TranslatableString.YesLabel]: "是",
  [TranslatableString.NoLabel]: "否",
};

function translator(language) {
  return (key, params) => (language !== "en" && CHINESE[key]) || englishStringTranslator(key, params);
}

// Server field errors ("a.b" paths) become rjsf's nested extraErrors shape.
export function toExtraErrors(fields) {
  const extra = {};
  const general = [];
  for (const { field, message } of fields || []) {
    if (!field) { general.push(message); continue; }
    let node = extra;
    for (const part of field.split(".")) { node = node[part] = node[part] || {}; }
    node.__errors = [...(node.__errors || []), message];
  }
  return { extra, general };
}

// The server words each field's problem with the field's title ("「项目名称」为必填项"), so the list at the top
// shows its words alone, not after the field's path (".projectName"); the browser's own checks keep rjsf's
// wording, which names the field by its title already.
function ErrorList({ errors, registry }) {
  return (
    <div className="panel panel-danger errors">
      <div className="panel-heading"><h3 className="panel-title">{registry.translateString(TranslatableString.ErrorsLabel)}</h3></div>
      <ul className="list-group">
        {errors.map((error, index) => (
          <li key={index} className="list-group-item text-danger">
            {String(error.stack || "").startsWith(".") ? error.message : error.stack}
          </li>
        ))}
      </ul>
    </div>
  );
}

// randomUUID needs a secure context; an intranet server on plain http still has getRandomValues.
function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function TaskForm({ config, validator }) {
  const [schema] = useState(() => withDependencies(config.schema));
  const [formData, setFormData] = useState(config.formData || {});
  const [extraErrors, setExtraErrors] = useState({});
  const [alert, setAlert] = useState(null);
  const [busy, setBusy] = useState(false);
  // One key per filled-in form: a double click or a resent request completes the task once.
  const [idempotencyKey] = useState(newKey);

  async function submit({ formData: data }) {
    setBusy(true);
    setAlert(null);
    setFormData(data);
    try {
      const response = await fetch(config.submitUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": config.csrfToken,
                   "Idempotency-Key": idempotencyKey },
        body: JSON.stringify(data || {}),
      });
      const body = await response.json().catch(() => ({}));
      if (response.ok) { window.location.assign(body.redirect); return; }
      if (response.status === 422) {
        const { extra, general } = toExtraErrors(body.fields);
        setExtraErrors(extra);
        setAlert([config.messages.fixErrors, ...general].join(" "));
      } else if (response.status === 409) {
        setAlert(body.text ? `${config.messages.conflict}（${body.text}）` : config.messages.conflict);
      } else {
        setAlert(body.text || config.messages.networkError);
      }
    } catch (error) {
      setAlert(config.messages.networkError);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      {alert && <p className="alert" role="alert" id="form-alert">{alert}</p>}
      <Form schema={schema} {...OMIT_HIDDEN} transformErrors={withoutBranchSummaries} uiSchema={{ ...config.uiSchema, "ui:submitButtonOptions": {
              submitText: config.messages.submit, props: { disabled: busy } } }}
            formData={formData} validator={validator} extraErrors={extraErrors}
            experimental_defaultFormStateBehavior={FORM_DEFAULTS}
            onChange={({ formData: data }) => setFormData(data)} onSubmit={submit}
            translateString={translator(config.language)} showErrorList="top" noHtml5Validate
            templates={{ ErrorListTemplate: ErrorList }} />
    </>
  );
}

const mount = document.getElementById("task-form");
const source = document.getElementById("task-form-config");
if (mount && source) {
  const config = JSON.parse(source.textContent);
  createRoot(mount).render(<TaskForm config={config} validator={makeFormValidator(config.language)} />);
}
