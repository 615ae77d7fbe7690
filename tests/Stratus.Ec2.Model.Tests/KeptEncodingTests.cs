using System.Text;
using Stratus.Protocol.Ec2;
using Stratus.Protocol.Model;
using Xunit;

namespace Stratus.Ec2.Model.Tests;

/// <summary>
/// An <see cref="Instance"/> marked as not changing (<see cref="Instance.KeepEncoded"/>) is written
/// by the EC2 serializer as the same bytes as an unmarked one: the first write walks its shape and
/// keeps the XML, later writes copy it, across the response buffer's segments.
/// </summary>
public sealed class KeptEncodingTests
{
    private static readonly OperationInfo DescribeInstances = Ec2Shapes.Service.FindOperation("DescribeInstances")!;

    [Fact]
    public void KeptInstances_AreWrittenAsTheWalkedOnes()
    {
        for (var seed = 0; seed < 20; seed++)
        {
            // Random instances of every member the model has (awkward text included), many to a
            // response so that kept fragments start and end across 64 KiB segments.
            var output = (DescribeInstancesResult)new ShapeValues(seed).Create(Ec2Shapes.SDescribeInstancesResult);
            var values = new ShapeValues(1000 + seed);
            output.Reservations ??= [];
            for (var r = 0; r < 40; r++)
            {
                output.Reservations.Add(new Reservation
                {
                    ReservationId = $"r-{seed}-{r}",
                    Instances = [.. Enumerable.Range(0, 1 + (r % 3)).Select(_ => (Instance)values.Create(Ec2Shapes.SInstance))],
                });
            }
            var walked = Body(output);

            foreach (var instance in output.Reservations.SelectMany(r => r.Instances ?? []))
            {
                instance.KeepEncoded();
            }
            var first = Body(output);
            var again = Body(output);

            Assert.True(walked.Length > 128 * 1024, $"seed {seed}: only {walked.Length} bytes");
            Assert.Equal(Encoding.UTF8.GetString(walked), Encoding.UTF8.GetString(first));
            Assert.Equal(walked, again);
        }
    }

    private static byte[] Body(DescribeInstancesResult output)
    {
        using var body = Ec2ProtocolSerializer.SerializeBody(Ec2Shapes.Service, DescribeInstances, output, "req-kept");
        return body.ToArray();
    }
}
