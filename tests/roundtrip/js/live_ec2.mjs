// Drives a live Stratus server with the AWS SDK for JavaScript v3, unchanged but for the endpoint.
// Usage: STRATUS_ENDPOINT=http://127.0.0.1:PORT AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... node live_ec2.mjs
// Prints one JSON object: {"checks":[{"name","ok","detail"}...]}; exits 0 (the caller asserts).
import * as EC2 from "@aws-sdk/client-ec2";

const endpoint = process.env.STRATUS_ENDPOINT;
const credentials = { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY };
const client = (region = "us-east-1", creds = credentials) =>
  new EC2.EC2Client({ endpoint, region, credentials: creds, maxAttempts: 1 });
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

async function expectError(promise, code, status) {
  try {
    await promise;
  } catch (e) {
    assert(e.name === code || e.Code === code, `expected ${code}, got ${e.name}`);
    assert(e.$metadata?.httpStatusCode === status, `expected HTTP ${status}, got ${e.$metadata?.httpStatusCode}`);
    return `${e.name}: ${e.message}`;
  }
  throw new Error(`expected ${code}, the call succeeded`);
}

await check("describe-regions", async () => {
  const out = await client().send(new EC2.DescribeRegionsCommand({}));
  const names = out.Regions.map((r) => r.RegionName);
  assert(names.includes("us-east-1") && names.includes("eu-west-1"), `regions: ${names}`);
  return names;
});

await check("describe-availability-zones", async () => {
  const out = await client("us-west-2").send(new EC2.DescribeAvailabilityZonesCommand({}));
  const names = out.AvailabilityZones.map((z) => z.ZoneName);
  assert(names.join() === "us-west-2a,us-west-2b,us-west-2c,us-west-2d", `zones: ${names}`);
  return names;
});

await check("describe-vpcs-default", async () => {
  const out = await client().send(new EC2.DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }));
  assert(out.Vpcs.length === 1 && out.Vpcs[0].CidrBlock === "172.31.0.0/16" && out.Vpcs[0].IsDefault === true, JSON.stringify(out.Vpcs));
  return out.Vpcs[0].VpcId;
});

await check("describe-security-groups", async () => {
  const out = await client().send(new EC2.DescribeSecurityGroupsCommand({ GroupNames: ["default"] }));
  assert(out.SecurityGroups.length === 1 && out.SecurityGroups[0].IpPermissionsEgress[0].IpRanges[0].CidrIp === "0.0.0.0/0", JSON.stringify(out.SecurityGroups));
  return out.SecurityGroups[0].GroupId;
});

await check("wrong-signature", () =>
  expectError(client("us-east-1", { ...credentials, secretAccessKey: "wrong" }).send(new EC2.DescribeRegionsCommand({})), "SignatureDoesNotMatch", 403));

await check("dry-run", () => expectError(client().send(new EC2.DescribeVpcsCommand({ DryRun: true })), "DryRunOperation", 412));

await check("unimplemented", () => expectError(client().send(new EC2.DescribeFpgaImagesCommand({})), "UnsupportedOperation", 400));

await check("pagination", async () => {
  const ec2 = client("us-west-1");
  const vpc = (await ec2.send(new EC2.DescribeVpcsCommand({}))).Vpcs[0].VpcId;
  for (let i = 0; i < 6; i++) await ec2.send(new EC2.CreateRouteTableCommand({ VpcId: vpc }));
  const ids = [];
  let pages = 0;
  for await (const page of EC2.paginateDescribeRouteTables({ client: ec2, pageSize: 5 }, {})) {
    pages++;
    ids.push(...page.RouteTables.map((t) => t.RouteTableId));
  }
  assert(pages === 2 && ids.length === 7 && new Set(ids).size === 7, `pages ${pages}, ids ${ids.length}`);
  return { pages, items: ids.length };
});

await check("waiter-vpc-available", async () => {
  const ec2 = client();
  const result = await EC2.waitUntilVpcAvailable({ client: ec2, maxWaitTime: 60 }, { Filters: [{ Name: "is-default", Values: ["true"] }] });
  assert(result.state === "SUCCESS", result.state);
  return result.state;
});

process.stdout.write(JSON.stringify({ checks }) + "\n");
