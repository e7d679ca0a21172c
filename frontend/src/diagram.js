// Show a BPMN diagram read-only: an instance's position, or a version's heat map with counts.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";

const container = document.getElementById("diagram");
const source = document.getElementById("diagram-config");

async function show(config) {
  const viewer = new NavigatedViewer({ container });
  await viewer.importXML(config.xml);
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  const overlays = viewer.get("overlays");
  canvas.zoom("fit-viewport");
  const mark = (ids, marker) => (ids || []).forEach((id) => {
    if (registry.get(id)) canvas.addMarker(id, marker);
  });
  mark(config.done, "gf-done");
  mark(config.active, "gf-active");
  mark(config.failed, "gf-failed");
  const counts = config.counts || {};
  const highest = Math.max(1, ...Object.values(counts));
  for (const [id, count] of Object.entries(counts)) {
    if (!registry.get(id)) continue;
    // Five heat steps, like a cockpit heat map: more instances waiting, hotter colour.
    canvas.addMarker(id, `gf-heat-${Math.min(5, Math.ceil((count / highest) * 5))}`);
    const badge = document.createElement("div");
    badge.className = "gf-count";
    badge.dataset.element = id;
    badge.textContent = String(count);
    overlays.add(id, { position: { top: -12, right: 12 }, html: badge });
  }
  // A heat map shows every element that holds instances: fit the view to all of them, not the hottest alone.
  const counted = Object.keys(counts).map((id) => registry.get(id)).filter(Boolean);
  const fitCounted = () => {
    const margin = 80;
    const left = Math.min(...counted.map((e) => e.x)) - margin;
    const top = Math.min(...counted.map((e) => e.y)) - margin;
    const right = Math.max(...counted.map((e) => e.x + e.width)) + margin;
    const bottom = Math.max(...counted.map((e) => e.y + e.height)) + margin;
    // Never magnify past 100 %: a small box is widened to the container around its centre.
    const width = Math.max(right - left, container.clientWidth);
    const height = Math.max(bottom - top, container.clientHeight);
    canvas.viewbox({ x: (left + right - width) / 2, y: (top + bottom - height) / 2, width, height });
  };
  // Wide lifecycle diagrams shrink to unreadable size when fitted: zoom in on where the work is.
  const hottest = Object.entries(counts).sort((a, b) => b[1] - a[1])[0];
  const focusId = [...(config.failed || []), ...(config.active || []), ...(hottest ? [hottest[0]] : [])]
    .find((id) => registry.get(id));
  const focus = () => {
    canvas.zoom("fit-viewport");
    if (counted.length > 1) {
      fitCounted();
      return;
    }
    if (focusId && canvas.viewbox().scale < 0.6) {
      canvas.zoom(0.9);
      canvas.scrollToElement(registry.get(focusId), { top: 200, left: 300, right: 300, bottom: 200 });
    }
  };
  focus();
  keepLaneNamesInView(canvas, registry, viewer.get("eventBus"));
  for (const button of document.querySelectorAll("[data-diagram-action]")) {
    button.hidden = button.dataset.diagramAction === "focus" && !focusId;
    button.addEventListener("click", () => (button.dataset.diagramAction === "fit" ? canvas.zoom("fit-viewport") : focus()));
  }
  container.dataset.ready = "true";
}

// Lane names (the agencies) sit at the pool's left edge, which scrolls out of view once the diagram is zoomed in
// on the current step; a strip along the container's left edge repeats them beside their lanes.
function keepLaneNamesInView(canvas, registry, eventBus) {
  const lanes = registry.filter((element) => element.type === "bpmn:Lane" && element.businessObject.name);
  if (!lanes.length) return;
  const strip = document.createElement("div");
  strip.className = "gf-lane-names";
  strip.setAttribute("aria-hidden", "true");  // the same names are in the diagram's own lane labels
  const labels = lanes.map((lane) => {
    const label = document.createElement("div");
    label.className = "gf-lane-name";
    label.dataset.lane = lane.id;
    label.textContent = lane.businessObject.name;
    strip.appendChild(label);
    return label;
  });
  container.appendChild(strip);
  const place = () => {
    const box = canvas.viewbox();
    const poolLeftVisible = lanes.every((lane) => (lane.x - box.x) * box.scale >= 0);
    strip.hidden = poolLeftVisible;
    lanes.forEach((lane, index) => {
      const top = (lane.y - box.y) * box.scale;
      const height = lane.height * box.scale;
      const label = labels[index];
      label.style.top = `${Math.max(0, top)}px`;
      label.style.height = `${Math.max(0, Math.min(top + height, box.outer.height) - Math.max(0, top))}px`;
      label.hidden = top + height <= 0 || top >= box.outer.height;
    });
  };
  eventBus.on("canvas.viewbox.changed", place);
  place();
}

if (container && source) {
  show(JSON.parse(source.textContent)).catch((error) => {
    container.dataset.ready = "error";
    container.textContent = `diagram could not be shown: ${error.message}`;
  });
}
