// The one rjsf validator of every form the browser renders: draft 2020-12, Chinese messages unless asked otherwise.
import { customizeValidator } from "@rjsf/validator-ajv8";
import Ajv2020 from "ajv/dist/2020";
import localizeZh from "ajv-i18n/localize/zh";

// Ajv tests multipleOf by float division, which refuses 150.01 as a multiple of 0.01 (15000.999999999998).
// With a precision of 4 it accepts a quotient within 1e-4 of a whole number: float noise on amounts up to
// 1e8 stays far below that, while a third decimal place is off by at least 0.1, so it is still refused.
const AJV_OPTIONS = { multipleOfPrecision: 4 };

export function makeFormValidator(language) {
  return customizeValidator({ AjvClass: Ajv2020, ajvOptionsOverrides: AJV_OPTIONS },
    language === "en" ? undefined : localizeZh);
}

// Forms name shared field definitions by `$ref` (`{"$ref": "govflow:money", "title": …}`); the server sends
// task forms expanded, and the modeler's preview expands them here from the same definitions.
export function expandShared(node, shared) {
  if (Array.isArray(node)) return node.map((item) => expandShared(item, shared));
  if (node === null || typeof node !== "object") return node;
  const expanded = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, expandShared(value, shared)]));
  const definition = typeof node.$ref === "string" ? shared[node.$ref] : undefined;
  if (!definition) return expanded;
  delete expanded.$ref;
  return { ...definition, ...expanded };
}

// rjsf fills a field whose schema says `const` with that value; a confirmation (`"const": true`, 必须满足)
// would then arrive ticked, and the clerk never ticks it. Every form takes its defaults from `default` only.
export const FORM_DEFAULTS = { constAsDefaults: "never" };

// rjsf shows the fields of a `dependentSchemas` branch only when it is spelt `dependencies` (the draft-07
// keyword, which Ajv applies the same way); forms and the server use the draft 2020-12 spelling.
export function withDependencies(node) {
  if (Array.isArray(node)) return node.map(withDependencies);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [
    key === "dependentSchemas" ? "dependencies" : key, withDependencies(value)]));
}

// A field of a conditional branch appears only while its branch applies; when an answer hides it, its value is
// dropped at once, so nothing the clerk can no longer see is submitted (the server refuses such data).
export const OMIT_HIDDEN = { omitExtraData: true, liveOmit: "onChange" };

// Ajv adds a summary error at the form's root when a `then`/`else` branch fails ("应当匹配模式 "then""); the
// branch's own error (a missing field, by its title) says it better, and the root error would mark every field.
export function withoutBranchSummaries(errors) {
  return errors.filter((error) => error.name !== "if");
}
