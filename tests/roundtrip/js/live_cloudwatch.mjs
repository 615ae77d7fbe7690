// Drives a live Stratus server's CloudWatch with the AWS SDK for JavaScript v3, unchanged but for
// the endpoint: the metric and alarm calls of Lab 5 in the client's own protocol (JSON 1.0) and with
// the protocol forced to RPC v2 CBOR and to query (the SDK's `protocol` setting).
// Usage: STRATUS_ENDPOINT=http://127.0.0.1:PORT AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... node live_cloudwatch.mjs
// Prints one JSON object: {"checks":[{"name","ok","detail"}...]}; exits 0 (the caller asserts).
import * as CW from "@aws-sdk/client-cloudwatch";
import { AwsQueryProtocol, AwsSmithyRpcV2CborProtocol } from "@aws-sdk/core/protocols";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const endpoint = process.env.STRATUS_ENDPOINT;
const credentials = { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY };
const PROTOCOLS = { json: undefined, cbor: AwsSmithyRpcV2CborProtocol, query: AwsQueryProtocol };
const checks = [];

async function check(name, body) {
  try {
    const detail = await body();
    checks.push({ name, ok: true, detail: detail ?? null });
  } catch (e) {
    checks.push({ name, ok: false, detail: `${e.name}: ${e.message}` });
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

for (const [tag, protocol] of Object.entries(PROTOCOLS)) {
  const config = { endpoint, region: "us-east-1", credentials, maxAttempts: 1 };
  if (protocol) config.protocol = protocol;
  const cw = new CW.CloudWatchClient(config);
  const ns = `JsSdk/${tag}`;
  const dims = [{ Name: "InstanceId", Value: "i-0123456789abcdef0" }];
  const start = new Date(Date.now() - 5 * 60 * 1000);
  const end = new Date(Date.now() + 60 * 1000);

  await check(`${tag}:metrics`, async () => {
    await cw.send(new CW.PutMetricDataCommand({ Namespace: ns, MetricData: [
      { MetricName: "CPUUtilization", Dimensions: dims, Value: 90, Unit: "Percent", StorageResolution: 1 },
      { MetricName: "CPUUtilization", Dimensions: dims, Values: [70, 80], Counts: [1, 2], Unit: "Percent", StorageResolution: 1 },
    ] }));
    const listed = await cw.send(new CW.ListMetricsCommand({ Namespace: ns }));
    assert(listed.Metrics.length === 1 && listed.Metrics[0].MetricName === "CPUUtilization", JSON.stringify(listed.Metrics));
    const stats = await cw.send(new CW.GetMetricStatisticsCommand({ Namespace: ns, MetricName: "CPUUtilization", Dimensions: dims,
      StartTime: start, EndTime: end, Period: 60, Statistics: ["SampleCount", "Average", "Maximum"] }));
    const [p] = stats.Datapoints;
    assert(stats.Datapoints.length === 1 && p.SampleCount === 4 && p.Average === 80 && p.Maximum === 90 && p.Timestamp instanceof Date,
      JSON.stringify(stats.Datapoints));
    const data = await cw.send(new CW.GetMetricDataCommand({ StartTime: start, EndTime: end, MetricDataQueries: [
      { Id: "cpu", MetricStat: { Metric: { Namespace: ns, MetricName: "CPUUtilization", Dimensions: dims }, Period: 60, Stat: "Maximum" } },
      { Id: "half", Expression: "cpu / 2" },
    ] }));
    const values = Object.fromEntries(data.MetricDataResults.map((r) => [r.Id, r.Values]));
    assert(JSON.stringify(values) === JSON.stringify({ cpu: [90], half: [45] }), JSON.stringify(values));
    return values;
  });

  await check(`${tag}:alarms`, async () => {
    const name = `js-high-cpu-${tag}`;
    await cw.send(new CW.PutMetricDataCommand({ Namespace: ns, MetricData: [
      { MetricName: "CPUUtilization", Dimensions: dims, Value: 95, Unit: "Percent", StorageResolution: 1 }] }));
    await cw.send(new CW.PutMetricAlarmCommand({ AlarmName: name, AlarmDescription: "Alert when CPU exceeds 80%", MetricName: "CPUUtilization",
      Namespace: ns, Statistic: "Maximum", Period: 10, EvaluationPeriods: 1, Threshold: 80, ComparisonOperator: "GreaterThanThreshold",
      Dimensions: dims, AlarmActions: ["arn:aws:sns:us-east-1:123456789012:ops-alerts"], Tags: [{ Key: "lab", Value: "5" }] }));
    let alarm;
    for (let i = 0; i < 60; i++) {
      [alarm] = (await cw.send(new CW.DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms;
      if (alarm.StateValue === "ALARM") break;
      await sleep(500);
    }
    assert(alarm.StateValue === "ALARM" && alarm.Threshold === 80 && alarm.StateUpdatedTimestamp instanceof Date, JSON.stringify(alarm));
    const forMetric = await cw.send(new CW.DescribeAlarmsForMetricCommand({ Namespace: ns, MetricName: "CPUUtilization", Dimensions: dims }));
    assert(forMetric.MetricAlarms.map((a) => a.AlarmName).join() === name, JSON.stringify(forMetric.MetricAlarms));
    await cw.send(new CW.SetAlarmStateCommand({ AlarmName: name, StateValue: "OK", StateReason: "checked by hand" }));
    const history = await cw.send(new CW.DescribeAlarmHistoryCommand({ AlarmName: name, HistoryItemType: "StateUpdate" }));
    const summaries = history.AlarmHistoryItems.map((h) => h.HistorySummary);
    assert(summaries.includes("Alarm updated from ALARM to OK") && summaries.includes("Alarm updated from INSUFFICIENT_DATA to ALARM"), JSON.stringify(summaries));
    await cw.send(new CW.DisableAlarmActionsCommand({ AlarmNames: [name] }));
    [alarm] = (await cw.send(new CW.DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms;
    assert(alarm.ActionsEnabled === false, "actions still enabled");
    const tags = await cw.send(new CW.ListTagsForResourceCommand({ ResourceARN: alarm.AlarmArn }));
    assert(JSON.stringify(tags.Tags) === JSON.stringify([{ Key: "lab", Value: "5" }]), JSON.stringify(tags.Tags));
    await cw.send(new CW.DeleteAlarmsCommand({ AlarmNames: [name] }));
    const gone = await cw.send(new CW.DescribeAlarmsCommand({ AlarmNames: [name] }));
    assert(gone.MetricAlarms.length === 0, JSON.stringify(gone.MetricAlarms));
    return summaries;
  });
}

process.stdout.write(JSON.stringify({ checks }) + "\n");
