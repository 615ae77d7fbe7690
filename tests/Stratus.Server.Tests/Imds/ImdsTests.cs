using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Stratus.Server.Imds;
using Stratus.Server.Tests.Ec2;

namespace Stratus.Server.Tests.Imds;

/// <summary>The instance metadata service against launched instances, over HTTP from "guest" loopback addresses.</summary>
public sealed class ImdsTests(ImdsServer server) : IClassFixture<ImdsServer>
{
    private const string UserData = "#!/bin/sh\necho hello from user data\n";

    private static string? s_imageId;

    private static async Task<string> ImageAsync(Ec2TestClient ec2)
    {
        if (s_imageId is null)
        {
            var images = (await ec2.CallAsync("DescribeImages", ("Owner.1", "amazon"), ("Filter.1.Name", "name"), ("Filter.1.Value.1", "stratus-minimal-*-x86_64"))).Ok();
            s_imageId = images.First("imageId")!;
        }
        return s_imageId;
    }

    /// <summary>An instance profile holding a role of the same name, for launches that name it.</summary>
    private async Task EnsureProfileAsync(string name)
    {
        await using var tx = await server.Store.BeginWriteAsync();
        var account = server.Root.Account.AccountId;
        if (await Stratus.Domain.Iam.IamDirectory.FindInstanceProfileAsync(tx, account, name) is not null)
        {
            return;
        }
        var trust = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}""";
        await Stratus.Domain.Iam.Roles.CreateAsync(tx, account, name, null, trust, null, null, null, DateTime.UtcNow);
        await Stratus.Domain.Iam.IamDirectory.CreateInstanceProfileAsync(tx, account, name, null, null, DateTime.UtcNow);
        await Stratus.Domain.Iam.IamDirectory.AddRoleToInstanceProfileAsync(tx, account, name, name);
        await Stratus.Domain.Iam.IamDirectory.PutInlineAsync(tx, account, Stratus.Domain.Iam.IamEntityKind.Role, name, "describe",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}""");
        await tx.CommitAsync();
    }

    /// <summary>Launches one instance and waits until it runs; returns its id.</summary>
    private async Task<string> LaunchAsync(params (string, string)[] extra)
    {
        using var ec2 = server.Ec2();
        var parameters = new List<(string, string)>
        {
            ("ImageId", await ImageAsync(ec2)), ("InstanceType", "t3.micro"), ("MinCount", "1"), ("MaxCount", "1"),
        };
        parameters.AddRange(extra);
        var id = (await ec2.CallAsync("RunInstances", [.. parameters])).Ok().First("instanceId")!;
        for (var i = 0; i < 100; i++)
        {
            var state = (await ec2.CallAsync("DescribeInstances", ("InstanceId.1", id))).Ok().Xml
                .Descendants(Ec2TestClient.Ns + "instanceState").First().Element(Ec2TestClient.Ns + "name")!.Value;
            if (state == "running")
            {
                return id;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{id} did not reach running");
    }

    /// <summary>The fully equipped instance: key pair, user data, tags (readable from IMDS), partition placement group, instance profile.</summary>
    private async Task<(string InstanceId, string KeyName)> LaunchFullAsync()
    {
        using var ec2 = server.Ec2();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var keyName = "imds-key-" + suffix;
        (await ec2.CallAsync("CreateKeyPair", ("KeyName", keyName))).Ok();
        await EnsureProfileAsync("web-profile");
        var group = "imds-pg-" + suffix;
        (await ec2.CallAsync("CreatePlacementGroup", ("GroupName", group), ("Strategy", "partition"), ("PartitionCount", "3"))).Ok();
        var id = await LaunchAsync(
            ("KeyName", keyName),
            ("UserData", Convert.ToBase64String(Encoding.UTF8.GetBytes(UserData))),
            ("TagSpecification.1.ResourceType", "instance"),
            ("TagSpecification.1.Tag.1.Key", "Name"), ("TagSpecification.1.Tag.1.Value", "web-1"),
            ("TagSpecification.1.Tag.2.Key", "team"), ("TagSpecification.1.Tag.2.Value", "blue"),
            ("Placement.GroupName", group), ("Placement.PartitionNumber", "2"),
            ("IamInstanceProfile.Name", "web-profile"),
            ("MetadataOptions.InstanceMetadataTags", "enabled"),
            ("MetadataOptions.HttpTokens", "required"),
            ("MetadataOptions.HttpPutResponseHopLimit", "2"));
        return (id, keyName);
    }

    private static XElementView Instance(Ec2Response response) => new(response.Xml.Descendants(Ec2TestClient.Ns + "instancesSet").First().Elements().First());

    [Fact]
    public async Task EveryCategoryOfAFullyEquippedInstance()
    {
        var (id, keyName) = await LaunchFullAsync();
        using var ec2 = server.Ec2();
        var described = (await ec2.CallAsync("DescribeInstances", ("InstanceId.1", id))).Ok();
        var view = Instance(described);
        using var guest = server.GuestOf(id);
        var token = await guest.TokenAsync();

        Assert.Contains("latest", (await guest.ReadAsync("/", token)).Split('\n'));
        Assert.Equal(["dynamic", "meta-data", "user-data"], (await guest.ReadAsync("/latest", token)).Split('\n'));
        Assert.Equal("meta-data", (await guest.ReadAsync("/2009-04-04/", token)).Split('\n')[1]);
        var listing = (await guest.ReadAsync("/latest/meta-data/", token)).Split('\n');
        foreach (var entry in new[]
        {
            "ami-id", "ami-launch-index", "ami-manifest-path", "block-device-mapping/", "events/", "hostname", "iam/", "instance-action",
            "instance-id", "instance-life-cycle", "instance-type", "local-hostname", "local-ipv4", "mac", "network/", "placement/",
            "public-keys/", "reservation-id", "security-groups", "services/", "tags/",
        })
        {
            Assert.Contains(entry, listing);
        }
        Assert.DoesNotContain("spot/", listing);
        Assert.Equal(listing.Order(StringComparer.Ordinal), listing);

        async Task<string> Md(string path) => await guest.ReadAsync("/latest/meta-data/" + path, token);
        Assert.Equal(id, await Md("instance-id"));
        Assert.Equal(view["imageId"], await Md("ami-id"));
        Assert.Equal("0", await Md("ami-launch-index"));
        Assert.Equal("(unknown)", await Md("ami-manifest-path"));
        Assert.Equal("t3.micro", await Md("instance-type"));
        Assert.Equal("on-demand", await Md("instance-life-cycle"));
        Assert.Equal("none", await Md("instance-action"));
        Assert.Equal(view["privateIpAddress"], await Md("local-ipv4"));
        Assert.Equal(view["privateDnsName"], await Md("local-hostname"));
        Assert.Equal(view["privateDnsName"], await Md("hostname"));
        Assert.Equal(view["reservationId", true], await Md("reservation-id"));
        Assert.Equal("default", await Md("security-groups"));
        if (view["ipAddress"] is { } publicIp)
        {
            Assert.Equal(publicIp, await Md("public-ipv4"));
        }
        else
        {
            Assert.Equal(HttpStatusCode.NotFound, (await guest.GetAsync("/latest/meta-data/public-ipv4", token)).Status);
        }

        // Block devices, events, services.
        Assert.Equal(["ami", "root"], (await Md("block-device-mapping/")).Split('\n'));
        Assert.Equal(view["rootDeviceName"], await Md("block-device-mapping/root"));
        Assert.Equal("maintenance/", await Md("events/"));
        Assert.Equal("[]", await Md("events/maintenance/scheduled"));
        Assert.Equal("amazonaws.com", await Md("services/domain"));
        Assert.Equal("aws", await Md("services/partition"));

        // Placement.
        Assert.Equal(["availability-zone", "availability-zone-id", "group-name", "partition-number", "region"], (await Md("placement/")).Split('\n'));
        Assert.Equal(view["availabilityZone"], await Md("placement/availability-zone"));
        Assert.StartsWith("use1-az", await Md("placement/availability-zone-id"), StringComparison.Ordinal);
        Assert.Equal("us-east-1", await Md("placement/region"));
        Assert.StartsWith("imds-pg-", await Md("placement/group-name"), StringComparison.Ordinal);
        Assert.Equal("2", await Md("placement/partition-number"));

        // Public keys.
        Assert.Equal("0=" + keyName, await Md("public-keys/"));
        Assert.Equal("openssh-key", await Md("public-keys/0/"));
        var openssh = await Md("public-keys/0/openssh-key");
        Assert.StartsWith("ssh-", openssh, StringComparison.Ordinal);

        // Network interface.
        var mac = await Md("mac");
        Assert.Matches("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$", mac);
        Assert.Equal("interfaces/", await Md("network/"));
        Assert.Equal(mac + "/", await Md("network/interfaces/macs/"));
        var nic = $"network/interfaces/macs/{mac}/";
        var nicListing = (await Md(nic)).Split('\n');
        foreach (var entry in new[] { "device-number", "interface-id", "local-hostname", "local-ipv4s", "mac", "owner-id", "security-group-ids", "security-groups", "subnet-id", "subnet-ipv4-cidr-block", "vpc-id", "vpc-ipv4-cidr-block", "vpc-ipv4-cidr-blocks" })
        {
            Assert.Contains(entry, nicListing);
        }
        Assert.Equal("0", await Md(nic + "device-number"));
        Assert.Equal(view["networkInterfaceId"], await Md(nic + "interface-id"));
        Assert.Equal(view["privateIpAddress"], await Md(nic + "local-ipv4s"));
        Assert.Equal(mac, await Md(nic + "mac"));
        Assert.Equal(server.Root.Account.AccountId, await Md(nic + "owner-id"));
        Assert.Equal(view["groupId"], await Md(nic + "security-group-ids"));
        Assert.Equal("default", await Md(nic + "security-groups"));
        Assert.Equal(view["subnetId"], await Md(nic + "subnet-id"));
        Assert.Equal(view["vpcId"], await Md(nic + "vpc-id"));
        Assert.Equal("172.31.0.0/16", await Md(nic + "vpc-ipv4-cidr-block"));
        Assert.Equal("172.31.0.0/16", await Md(nic + "vpc-ipv4-cidr-blocks"));
        Assert.EndsWith("/20", await Md(nic + "subnet-ipv4-cidr-block"), StringComparison.Ordinal);

        // Tags.
        Assert.Equal("instance/", await Md("tags/"));
        Assert.Equal(["Name", "team"], (await Md("tags/instance/")).Split('\n'));
        Assert.Equal("web-1", await Md("tags/instance/Name"));
        Assert.Equal("blue", await Md("tags/instance/team"));

        // IAM.
        Assert.Equal(["info", "security-credentials/"], (await Md("iam/")).Split('\n'));
        using (var info = JsonDocument.Parse(await Md("iam/info")))
        {
            Assert.Equal("Success", info.RootElement.GetProperty("Code").GetString());
            Assert.Equal($"arn:aws:iam::{server.Root.Account.AccountId}:instance-profile/web-profile", info.RootElement.GetProperty("InstanceProfileArn").GetString());
            Assert.StartsWith("AIPA", info.RootElement.GetProperty("InstanceProfileId").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal("web-profile", await Md("iam/security-credentials/"));

        // User data: the raw bytes.
        var (status, body, response) = await guest.GetAsync("/latest/user-data", token);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(UserData, body);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);

        // Unknown paths.
        Assert.Equal(HttpStatusCode.NotFound, (await guest.GetAsync("/latest/meta-data/no-such-thing", token)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await guest.GetAsync("/1999-01-01/meta-data/", token)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await guest.GetAsync("/latest/meta-data/spot/instance-action", token)).Status);
    }

    [Fact]
    public async Task IdentityDocumentMatchesDescribeInstancesAndVerifiesWithTheServerCertificate()
    {
        var (id, _) = await LaunchFullAsync();
        using var ec2 = server.Ec2();
        var described = (await ec2.CallAsync("DescribeInstances", ("InstanceId.1", id))).Ok();
        var view = Instance(described);
        using var guest = server.GuestOf(id);
        var token = await guest.TokenAsync();
        Assert.Equal(["document", "pkcs7", "rsa2048", "signature"], (await guest.ReadAsync("/latest/dynamic/instance-identity/", token)).Split('\n'));
        Assert.Equal("instance-identity/", await guest.ReadAsync("/latest/dynamic/", token));
        var document = await guest.ReadAsync("/latest/dynamic/instance-identity/document", token);
        using (var json = JsonDocument.Parse(document))
        {
            var d = json.RootElement;
            Assert.Equal(server.Root.Account.AccountId, d.GetProperty("accountId").GetString());
            Assert.Equal(described.First("ownerId"), d.GetProperty("accountId").GetString());
            Assert.Equal(view["architecture"], d.GetProperty("architecture").GetString());
            Assert.Equal(view["availabilityZone"], d.GetProperty("availabilityZone").GetString());
            Assert.Equal(view["imageId"], d.GetProperty("imageId").GetString());
            Assert.Equal(id, d.GetProperty("instanceId").GetString());
            Assert.Equal(view["instanceType"], d.GetProperty("instanceType").GetString());
            Assert.Equal(view["privateIpAddress"], d.GetProperty("privateIp").GetString());
            Assert.Equal("us-east-1", d.GetProperty("region").GetString());
            Assert.Equal("2017-09-30", d.GetProperty("version").GetString());
            foreach (var name in new[] { "billingProducts", "devpayProductCodes", "marketplaceProductCodes", "kernelId", "ramdiskId" })
            {
                Assert.Equal(JsonValueKind.Null, d.GetProperty(name).ValueKind);
            }
            var launch = DateTime.Parse(view["launchTime"]!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
            var pending = DateTime.Parse(d.GetProperty("pendingTime").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
            Assert.Equal(launch.AddTicks(-(launch.Ticks % TimeSpan.TicksPerSecond)), pending);
        }

        // The certificate is served on the API endpoint; the signature is RSA-SHA256 over the document.
        using var http = new HttpClient();
        var pem = await http.GetStringAsync(new Uri(server.Endpoint, "_stratus/imds/certificate"));
        using var certificate = X509Certificate2.CreateFromPem(pem);
        using var rsa = certificate.GetRSAPublicKey()!;
        var signature = Convert.FromBase64String((await guest.ReadAsync("/latest/dynamic/instance-identity/signature", token)).Replace("\n", "", StringComparison.Ordinal));
        Assert.True(rsa.VerifyData(Encoding.UTF8.GetBytes(document), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.False(rsa.VerifyData(Encoding.UTF8.GetBytes(document.Replace(id, "i-0000000000000000f", StringComparison.Ordinal)), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

        // PKCS#7 (pkcs7 and rsa2048) verifies with openssl against the certificate, as AWS documents for its own.
        var dir = Directory.CreateTempSubdirectory("stratus-imds-pkcs7-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "cert.pem"), pem);
            File.WriteAllText(Path.Combine(dir.FullName, "document"), document);
            foreach (var kind in new[] { "pkcs7", "rsa2048" })
            {
                var p7 = await guest.ReadAsync("/latest/dynamic/instance-identity/" + kind, token);
                File.WriteAllText(Path.Combine(dir.FullName, kind + ".pem"), $"-----BEGIN PKCS7-----\n{p7}\n-----END PKCS7-----\n");
                var (code, output) = await RunAsync("openssl", dir.FullName, "cms", "-verify", "-binary", "-inform", "PEM", "-in", kind + ".pem", "-content", "document", "-CAfile", "cert.pem", "-purpose", "any", "-out", "/dev/null");
                Assert.True(code == 0, $"openssl cms -verify {kind}: {output}");
                File.WriteAllText(Path.Combine(dir.FullName, "forged"), document.Replace(id, "i-0000000000000000f", StringComparison.Ordinal));
                (code, _) = await RunAsync("openssl", dir.FullName, "cms", "-verify", "-binary", "-inform", "PEM", "-in", kind + ".pem", "-content", "forged", "-CAfile", "cert.pem", "-purpose", "any", "-out", "/dev/null");
                Assert.NotEqual(0, code);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task TokenRulesTtlBoundsForwardedForAndExpiry()
    {
        var id = await LaunchAsync(("MetadataOptions.HttpPutResponseHopLimit", "1"));
        using var guest = server.GuestOf(id);
        const string Ttl = "X-aws-ec2-metadata-token-ttl-seconds";
        foreach (var bad in new[] { "0", "21601", "abc", "-1", "" })
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await guest.SendAsync(HttpMethod.Put, "/latest/api/token", (Ttl, bad))).Status);
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await guest.SendAsync(HttpMethod.Put, "/latest/api/token")).Status);
        foreach (var good in new[] { 1, 21600 })
        {
            var (status, token, response) = await guest.SendAsync(HttpMethod.Put, "/latest/api/token", (Ttl, good.ToString(CultureInfo.InvariantCulture)));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.NotEmpty(token);
            Assert.Equal(good.ToString(CultureInfo.InvariantCulture), response.Headers.GetValues(Ttl).Single());
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await guest.SendAsync(HttpMethod.Put, "/latest/api/token", (Ttl, "60"), ("X-Forwarded-For", "10.0.0.1"))).Status);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await guest.SendAsync(HttpMethod.Get, "/latest/api/token")).Status);

        // The token response left with IP TTL = hop limit (1) + 1.
        Assert.Equal((short)2, server.Metadata.LastTokenSocketTtl);

        // A garbage token, and a token that expired.
        Assert.Equal(HttpStatusCode.Unauthorized, (await guest.GetAsync("/latest/meta-data/instance-id", "not-a-token")).Status);
        var shortLived = await guest.TokenAsync(1);
        Assert.Equal(id, await guest.ReadAsync("/latest/meta-data/instance-id", shortLived));
        await Task.Delay(1300);
        Assert.Equal(HttpStatusCode.Unauthorized, (await guest.GetAsync("/latest/meta-data/instance-id", shortLived)).Status);
    }

    [Fact]
    public async Task HopLimitSetsTheSocketTtlOfTheTokenResponse()
    {
        Assert.Equal((short)2, MetadataTokens.SocketTtl(1));
        Assert.Equal((short)3, MetadataTokens.SocketTtl(2));
        Assert.Equal((short)65, MetadataTokens.SocketTtl(64));
        var (id, _) = await LaunchFullAsync(); // hop limit 2
        using var guest = server.GuestOf(id);
        await guest.TokenAsync();
        Assert.Equal((short)3, server.Metadata.LastTokenSocketTtl);
    }

    [Fact]
    public async Task TokenOfOneInstanceDoesNotWorkForAnother()
    {
        var a = await LaunchAsync();
        var b = await LaunchAsync();
        using var guestA = server.GuestOf(a);
        using var guestB = server.GuestOf(b);
        var tokenA = await guestA.TokenAsync();
        Assert.Equal(a, await guestA.ReadAsync("/latest/meta-data/instance-id", tokenA));
        Assert.Equal(HttpStatusCode.Unauthorized, (await guestB.GetAsync("/latest/meta-data/instance-id", tokenA)).Status);
        Assert.Equal(b, await guestB.ReadAsync("/latest/meta-data/instance-id", await guestB.TokenAsync()));
    }

    [Fact]
    public async Task Version1IsAllowedOrRefusedByHttpTokens()
    {
        var id = await LaunchAsync(("MetadataOptions.HttpTokens", "optional"));
        using var ec2 = server.Ec2();
        using var guest = server.GuestOf(id);
        Assert.Equal(id, await guest.ReadAsync("/latest/meta-data/instance-id", null));
        (await ec2.CallAsync("ModifyInstanceMetadataOptions", ("InstanceId", id), ("HttpTokens", "required"))).Ok();
        Assert.Equal(HttpStatusCode.Unauthorized, (await guest.GetAsync("/latest/meta-data/instance-id")).Status);
        Assert.Equal(id, await guest.ReadAsync("/latest/meta-data/instance-id", await guest.TokenAsync()));
        (await ec2.CallAsync("ModifyInstanceMetadataOptions", ("InstanceId", id), ("HttpTokens", "optional"))).Ok();
        Assert.Equal(id, await guest.ReadAsync("/latest/meta-data/instance-id", null));
        // An invalid token is refused even when tokens are optional.
        Assert.Equal(HttpStatusCode.Unauthorized, (await guest.GetAsync("/latest/meta-data/instance-id", "bogus")).Status);
    }

    [Fact]
    public async Task DisabledEndpointAndStoppedInstancesAreNotServed()
    {
        var id = await LaunchAsync(("MetadataOptions.HttpTokens", "optional"));
        using var ec2 = server.Ec2();
        using var guest = server.GuestOf(id);
        var token = await guest.TokenAsync();
        (await ec2.CallAsync("ModifyInstanceMetadataOptions", ("InstanceId", id), ("HttpEndpoint", "disabled"))).Ok();
        Assert.Equal(HttpStatusCode.NotFound, (await guest.GetAsync("/latest/meta-data/instance-id")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await guest.GetAsync("/latest/meta-data/instance-id", token)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await guest.SendAsync(HttpMethod.Put, "/latest/api/token", ("X-aws-ec2-metadata-token-ttl-seconds", "60"))).Status);
        (await ec2.CallAsync("ModifyInstanceMetadataOptions", ("InstanceId", id), ("HttpEndpoint", "enabled"))).Ok();
        Assert.Equal(id, await guest.ReadAsync("/latest/meta-data/instance-id", token));

        (await ec2.CallAsync("StopInstances", ("InstanceId.1", id))).Ok();
        for (var i = 0; i < 100 && (await guest.GetAsync("/latest/meta-data/instance-id")).Status == HttpStatusCode.OK; i++)
        {
            await Task.Delay(50);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await guest.GetAsync("/latest/meta-data/instance-id")).Status);
    }

    [Fact]
    public async Task TagsCategoryFollowsInstanceMetadataTags()
    {
        var id = await LaunchAsync(("TagSpecification.1.ResourceType", "instance"), ("TagSpecification.1.Tag.1.Key", "env"), ("TagSpecification.1.Tag.1.Value", "prod"));
        using var ec2 = server.Ec2();
        using var guest = server.GuestOf(id);
        var token = await guest.TokenAsync();
        Assert.DoesNotContain("tags/", (await guest.ReadAsync("/latest/meta-data/", token)).Split('\n'));
        Assert.Equal(HttpStatusCode.NotFound, (await guest.GetAsync("/latest/meta-data/tags/instance/env", token)).Status);
        (await ec2.CallAsync("ModifyInstanceMetadataOptions", ("InstanceId", id), ("InstanceMetadataTags", "enabled"))).Ok();
        Assert.Equal("prod", await guest.ReadAsync("/latest/meta-data/tags/instance/env", token));
        (await ec2.CallAsync("CreateTags", ("ResourceId.1", id), ("Tag.1.Key", "added"), ("Tag.1.Value", "later"))).Ok();
        Assert.Equal(["added", "env"], (await guest.ReadAsync("/latest/meta-data/tags/instance", token)).Split('\n'));
        (await ec2.CallAsync("ModifyInstanceMetadataOptions", ("InstanceId", id), ("InstanceMetadataTags", "disabled"))).Ok();
        Assert.Equal(HttpStatusCode.NotFound, (await guest.GetAsync("/latest/meta-data/tags/instance/env", token)).Status);
        // No user data → 404; no key → no public-keys; no profile → no iam.
        Assert.Equal(HttpStatusCode.NotFound, (await guest.GetAsync("/latest/user-data", token)).Status);
        var listing = (await guest.ReadAsync("/latest/meta-data/", token)).Split('\n');
        Assert.DoesNotContain("public-keys/", listing);
        Assert.DoesNotContain("iam/", listing);
    }

    [Fact]
    public async Task MetadataPortServesOnlyKnownGuestsAndNoApi()
    {
        var id = await LaunchAsync(("MetadataOptions.HttpTokens", "optional"));
        using var guest = server.GuestOf(id);

        // The EC2 API is not on the metadata port, even for a known guest.
        using var form = new FormUrlEncodedContent([new("Action", "DescribeRegions"), new("Version", "2016-11-15")]);
        using var http = new HttpClient();
        var onImdsPort = new Uri($"http://127.0.0.1:{server.MetadataPort}/");
        using (var response = await http.PostAsync(onImdsPort, form))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode); // not a guest
        }
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await guest.SendAsync(HttpMethod.Post, "/")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await guest.GetAsync("/_stratus/health")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await guest.GetAsync("/_stratus/imds/certificate")).Status);

        // An address no instance has is not answered.
        using var stranger = new ImdsClient(server.NextGuestAddress(), server.MetadataPort);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync("/latest/meta-data/instance-id")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.SendAsync(HttpMethod.Put, "/latest/api/token", ("X-aws-ec2-metadata-token-ttl-seconds", "60"))).Status);

        // IMDS is not on the API port.
        using (var response = await http.GetAsync(new Uri(server.Endpoint, "latest/meta-data/instance-id")))
        {
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(id, await guest.ReadAsync("/latest/meta-data/instance-id", null));
    }

    [Fact]
    public async Task InstanceProfileCredentialsSignEc2Requests()
    {
        var (id, _) = await LaunchFullAsync();
        using var guest = server.GuestOf(id);
        var token = await guest.TokenAsync();
        var role = await guest.ReadAsync("/latest/meta-data/iam/security-credentials/", token);
        var json = await guest.ReadAsync("/latest/meta-data/iam/security-credentials/" + role, token);
        using var doc = JsonDocument.Parse(json);
        var c = doc.RootElement;
        Assert.Equal("Success", c.GetProperty("Code").GetString());
        Assert.Equal("AWS-HMAC", c.GetProperty("Type").GetString());
        var accessKeyId = c.GetProperty("AccessKeyId").GetString()!;
        var secret = c.GetProperty("SecretAccessKey").GetString()!;
        var sessionToken = c.GetProperty("Token").GetString()!;
        Assert.Matches("^ASIA[A-Z2-7]{16}$", accessKeyId);
        var expiration = DateTime.Parse(c.GetProperty("Expiration").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        Assert.InRange(expiration - DateTime.UtcNow, TimeSpan.FromHours(5), TimeSpan.FromHours(6));
        Assert.True(DateTime.Parse(c.GetProperty("LastUpdated").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal) <= DateTime.UtcNow);
        // The same set until the next rotation.
        Assert.Equal(json, await guest.ReadAsync("/latest/meta-data/iam/security-credentials/" + role, token));

        using (var ec2 = new Ec2TestClient(server.Endpoint, new SessionAWSCredentials(accessKeyId, secret, sessionToken)))
        {
            var described = (await ec2.CallAsync("DescribeInstances", ("InstanceId.1", id))).Ok();
            Assert.Equal(id, described.First("instanceId"));
        }
        var tampered = sessionToken[..^4] + (sessionToken[^4] == 'A' ? "B" : "A") + sessionToken[^3..];
        using (var ec2 = new Ec2TestClient(server.Endpoint, new SessionAWSCredentials(accessKeyId, secret, tampered)))
        {
            var error = (await ec2.CallAsync("DescribeInstances")).Error("InvalidClientTokenId", HttpStatusCode.Forbidden);
            Assert.Equal("The security token included in the request is invalid.", error.ErrorMessage);
        }
        using (var ec2 = new Ec2TestClient(server.Endpoint, accessKeyId, secret))
        {
            (await ec2.CallAsync("DescribeInstances")).Error("InvalidClientTokenId", HttpStatusCode.Forbidden);
        }
        using (var ec2 = new Ec2TestClient(server.Endpoint, new SessionAWSCredentials(accessKeyId, secret[..^1] + (secret[^1] == 'x' ? "y" : "x"), sessionToken)))
        {
            (await ec2.CallAsync("DescribeInstances")).Error("SignatureDoesNotMatch", HttpStatusCode.Forbidden);
        }

        // The role's policy allows Describe* only; once the instance is terminated its credentials stand for nobody.
        using (var ec2 = new Ec2TestClient(server.Endpoint, new SessionAWSCredentials(accessKeyId, secret, sessionToken)))
        {
            var denied = (await ec2.CallAsync("TerminateInstances", ("InstanceId.1", id))).Error("UnauthorizedOperation", HttpStatusCode.Forbidden);
            Assert.Contains($"assumed-role/{role}/{id} is not authorized to perform: ec2:TerminateInstances", denied.ErrorMessage, StringComparison.Ordinal);
            using (var root = server.Ec2())
            {
                (await root.CallAsync("TerminateInstances", ("InstanceId.1", id))).Ok();
            }
            (await ec2.CallAsync("DescribeInstances")).Error("InvalidClientTokenId", HttpStatusCode.Forbidden);
        }

        // Credentials that expired: ExpiredToken.
        var old = server.Sessions.Issue(server.Root.Account.AccountId, "us-east-1", id, role, DateTime.UtcNow.AddHours(-7));
        using (var ec2 = new Ec2TestClient(server.Endpoint, new SessionAWSCredentials(old.AccessKeyId, old.SecretAccessKey, old.SessionToken)))
        {
            (await ec2.CallAsync("DescribeInstances")).Error("ExpiredToken", HttpStatusCode.Forbidden);
        }
    }

    /// <summary>The role's credentials the guest reads now (null when IMDS has none), as a client's credentials.</summary>
    private static async Task<(string Role, SessionAWSCredentials Credentials)?> RoleCredentialsAsync(ImdsClient guest)
    {
        var token = await guest.TokenAsync();
        var listing = await guest.GetAsync("/latest/meta-data/iam/security-credentials/", token);
        if (listing.Status != HttpStatusCode.OK)
        {
            return null;
        }
        var role = await guest.ReadAsync("/latest/meta-data/iam/security-credentials/", token);
        using var doc = JsonDocument.Parse(await guest.ReadAsync("/latest/meta-data/iam/security-credentials/" + role, token));
        var c = doc.RootElement;
        return (role, new SessionAWSCredentials(c.GetProperty("AccessKeyId").GetString(), c.GetProperty("SecretAccessKey").GetString(), c.GetProperty("Token").GetString()));
    }

    [Fact]
    public async Task CredentialsFollowTheInstanceProfileAssociation()
    {
        await EnsureProfileAsync("reader-a");
        await EnsureProfileAsync("reader-b");
        var account = server.Root.Account.AccountId;
        var id = await LaunchAsync(("MetadataOptions.HttpTokens", "required"));
        using var ec2 = server.Ec2();
        using var guest = server.GuestOf(id);
        Assert.Null(await RoleCredentialsAsync(guest));

        // Associate: the guest gets the role's credentials at once; a second association is refused.
        var associated = (await ec2.CallAsync("AssociateIamInstanceProfile", ("InstanceId", id), ("IamInstanceProfile.Name", "reader-a"))).Ok();
        Assert.Equal("associating", associated.First("state"));
        Assert.Equal($"arn:aws:iam::{account}:instance-profile/reader-a", associated.First("arn"));
        var first = associated.First("associationId")!;
        Assert.Matches("^iip-assoc-[0-9a-f]{17}$", first);
        (await ec2.CallAsync("AssociateIamInstanceProfile", ("InstanceId", id), ("IamInstanceProfile.Name", "reader-b"))).Error("IncorrectState", HttpStatusCode.BadRequest);
        var described = (await ec2.CallAsync("DescribeIamInstanceProfileAssociations", ("Filter.1.Name", "instance-id"), ("Filter.1.Value.1", id))).Ok();
        Assert.Equal([first], described.All("associationId"));
        Assert.Equal("associated", described.First("state"));
        Assert.Equal($"arn:aws:iam::{account}:instance-profile/reader-a", (await ec2.CallAsync("DescribeInstances", ("InstanceId.1", id))).Ok().First("arn"));
        var (roleA, credentialsA) = (await RoleCredentialsAsync(guest))!.Value;
        Assert.Equal("reader-a", roleA);
        using (var asA = new Ec2TestClient(server.Endpoint, credentialsA))
        {
            (await asA.CallAsync("DescribeInstances", ("InstanceId.1", id))).Ok();
        }

        // Replace: a new association id, the new role's credentials; the old role's stand for nobody.
        (await ec2.CallAsync("ReplaceIamInstanceProfileAssociation", ("AssociationId", "iip-assoc-0123456789abcdef0"), ("IamInstanceProfile.Name", "reader-b")))
            .Error("InvalidAssociationID.NotFound", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("ReplaceIamInstanceProfileAssociation", ("AssociationId", first), ("IamInstanceProfile.Name", "no-such-profile")))
            .Error("InvalidParameterValue", HttpStatusCode.BadRequest);
        var replaced = (await ec2.CallAsync("ReplaceIamInstanceProfileAssociation", ("AssociationId", first), ("IamInstanceProfile.Name", "reader-b"))).Ok();
        var second = replaced.First("associationId")!;
        Assert.NotEqual(first, second);
        Assert.Equal("associating", replaced.First("state"));
        var (roleB, credentialsB) = (await RoleCredentialsAsync(guest))!.Value;
        Assert.Equal("reader-b", roleB);
        using (var asA = new Ec2TestClient(server.Endpoint, credentialsA))
        {
            (await asA.CallAsync("DescribeInstances")).Error("InvalidClientTokenId", HttpStatusCode.Forbidden);
        }
        using var asB = new Ec2TestClient(server.Endpoint, credentialsB);
        (await asB.CallAsync("DescribeInstances", ("InstanceId.1", id))).Ok();

        // The role leaves the profile: its credentials are refused and IMDS has none; back in, they work again.
        await using (var tx = await server.Store.BeginWriteAsync())
        {
            await Stratus.Domain.Iam.IamDirectory.RemoveRoleFromInstanceProfileAsync(tx, account, "reader-b", "reader-b");
            await tx.CommitAsync();
        }
        (await asB.CallAsync("DescribeInstances")).Error("InvalidClientTokenId", HttpStatusCode.Forbidden);
        Assert.Null(await RoleCredentialsAsync(guest));
        await using (var tx = await server.Store.BeginWriteAsync())
        {
            await Stratus.Domain.Iam.IamDirectory.AddRoleToInstanceProfileAsync(tx, account, "reader-b", "reader-b");
            await tx.CommitAsync();
        }
        (await asB.CallAsync("DescribeInstances", ("InstanceId.1", id))).Ok();

        // Disassociate: no credentials in IMDS (iam/ is gone), the association is no longer described.
        var gone = (await ec2.CallAsync("DisassociateIamInstanceProfile", ("AssociationId", second))).Ok();
        Assert.Equal("disassociating", gone.First("state"));
        Assert.Null(await RoleCredentialsAsync(guest));
        Assert.Equal(HttpStatusCode.NotFound, (await guest.GetAsync("/latest/meta-data/iam/info", await guest.TokenAsync())).Status);
        (await asB.CallAsync("DescribeInstances")).Error("InvalidClientTokenId", HttpStatusCode.Forbidden);
        Assert.Empty((await ec2.CallAsync("DescribeIamInstanceProfileAssociations", ("Filter.1.Name", "instance-id"), ("Filter.1.Value.1", id))).Ok().All("associationId"));
        (await ec2.CallAsync("DescribeIamInstanceProfileAssociations", ("AssociationId.1", second))).Error("InvalidAssociationID.NotFound", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("DisassociateIamInstanceProfile", ("AssociationId", second))).Error("InvalidAssociationID.NotFound", HttpStatusCode.BadRequest);

        // Associated again, then stopped: the credentials stop working.
        (await ec2.CallAsync("AssociateIamInstanceProfile", ("InstanceId", id), ("IamInstanceProfile.Name", "reader-a"))).Ok();
        var (_, again) = (await RoleCredentialsAsync(guest))!.Value;
        using var asAgain = new Ec2TestClient(server.Endpoint, again);
        (await asAgain.CallAsync("DescribeInstances", ("InstanceId.1", id))).Ok();
        (await ec2.CallAsync("StopInstances", ("InstanceId.1", id))).Ok();
        (await asAgain.CallAsync("DescribeInstances")).Error("InvalidClientTokenId", HttpStatusCode.Forbidden);
        // A stopped instance keeps its association.
        Assert.Single((await ec2.CallAsync("DescribeIamInstanceProfileAssociations", ("Filter.1.Name", "instance-id"), ("Filter.1.Value.1", id),
            ("Filter.2.Name", "state"), ("Filter.2.Value.1", "associated"))).Ok().All("associationId"));
        (await ec2.CallAsync("TerminateInstances", ("InstanceId.1", id))).Ok();
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>First descendant values of an instance element by local name.</summary>
    private sealed class XElementView(System.Xml.Linq.XElement element)
    {
        public string? this[string name] => element.Descendants(Ec2TestClient.Ns + name).FirstOrDefault()?.Value;

        public string? this[string name, bool inReservation] => inReservation
            ? element.Parent!.Parent!.Element(Ec2TestClient.Ns + name)?.Value
            : this[name];
    }
}
