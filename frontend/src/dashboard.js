// Draw the dashboard's charts from the figures the page also shows as tables (ECharts, canvas renderer).
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

const source = document.getElementById("dashboard-data");

function draw(id, option) {
  const element = document.getElementById(id);
  if (!element) return;
  const chart = echarts.init(element, null, { renderer: "canvas" });
  chart.setOption({ tooltip: { trigger: "axis" }, grid: { left: 48, right: 24, top: 48, bottom: 48, containLabel: true },
    ...option });
  window.addEventListener("resize", () => chart.resize());
  element.dataset.ready = "true";
}

const legend = { type: "scroll", top: 0 };
// Axis names start at the axis instead of centring on it, so a long Chinese name is not cut at the edge.
const named = (name, extra = {}) => ({ type: "value", name, nameTextStyle: { align: "left" }, ...extra });

function lines(byName) {
  return Object.entries(byName).map(([name, data]) => ({ name, type: "line", data, connectNulls: false }));
}

function show(data) {
  const t = data.text;
  draw("chart-agencies", {
    legend, yAxis: { type: "category", data: data.loads.labels, inverse: true }, xAxis: { type: "value", minInterval: 1 },
    series: [
      { name: t.dash_open, type: "bar", data: data.loads.open },
      { name: t.dash_open_overdue, type: "bar", data: data.loads.overdue, itemStyle: { color: "#d92d20" } },
    ],
  });
  draw("chart-p90", { legend, xAxis: { type: "category", data: data.months }, yAxis: named(t.dash_p90_days),
    series: lines(data.p90) });
  draw("chart-rate", { legend, xAxis: { type: "category", data: data.months },
    yAxis: named(t.dash_overdue_rate, { max: 100, axisLabel: { formatter: "{value}%" } }),
    series: lines(data.rate) });
  draw("chart-stages", { yAxis: { type: "category", data: data.stages.labels, inverse: true },
    xAxis: { type: "value", minInterval: 1 }, series: [{ name: t.dash_projects, type: "bar", data: data.stages.values }] });
  draw("chart-investment", { legend, xAxis: { type: "category", data: data.investment.years },
    yAxis: named(t.dash_investment_wan),
    series: Object.entries(data.investment.series).map(([name, values]) => ({ name, type: "bar", data: values })) });
  draw("chart-verdicts", { legend, xAxis: { type: "category", data: data.verdicts.months },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: t.dash_approved, type: "bar", stack: "verdicts", data: data.verdicts.approved, itemStyle: { color: "#079455" } },
      { name: t.dash_returned, type: "bar", stack: "verdicts", data: data.verdicts.returned, itemStyle: { color: "#d92d20" } },
    ] });
}

if (source) show(JSON.parse(source.textContent));
