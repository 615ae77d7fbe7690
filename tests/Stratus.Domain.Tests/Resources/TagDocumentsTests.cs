using System.Text.Json;
using Stratus.Domain.Resources;

namespace Stratus.Domain.Tests.Resources;

/// <summary>Tags read and replaced in a document's JSON text, the rest of it left byte for byte.</summary>
public sealed class TagDocumentsTests
{
    [Fact]
    public void Locate_ReadsTheTopLevelTagsAndSkipsNestedOnes()
    {
        const string document = """{"id":"i-1","blockDevices":[{"tags":[{"key":"nested","value":"x"}]}],"tags":[{"key":"Name","value":"web"},{"key":"env","value":""}],"state":"running"}""";
        var located = TagDocuments.Locate(document);
        Assert.Equal([new Tag("Name", "web"), new Tag("env", "")], located.Tags);
    }

    [Fact]
    public void With_ReplacesOnlyTheTagsValue()
    {
        const string document = """{"id":"i-1","tags":[{"key":"Name","value":"web"}],"state":"running","nested":{"tags":[]}}""";
        var located = TagDocuments.Locate(document);
        var edited = TagDocuments.With(located, [new Tag("Name", "db"), new Tag("team", "é \"q\" <x>")]);
        Assert.StartsWith("""{"id":"i-1","tags":[""", edited, StringComparison.Ordinal);
        Assert.EndsWith("""],"state":"running","nested":{"tags":[]}}""", edited, StringComparison.Ordinal);
        Assert.Equal([new Tag("Name", "db"), new Tag("team", "é \"q\" <x>")], TagDocuments.Locate(edited).Tags);
    }

    [Theory]
    [InlineData("""{"id":"vol-1"}""", """{"id":"vol-1","tags":[{"key":"k","value":"v"}]}""")]
    [InlineData("""{}""", """{"tags":[{"key":"k","value":"v"}]}""")]
    [InlineData("""{"id":"vol-1","tags":null}""", """{"id":"vol-1","tags":[{"key":"k","value":"v"}]}""")]
    public void With_AddsTagsToADocumentWithout(string document, string expected)
    {
        var located = TagDocuments.Locate(document);
        Assert.Empty(located.Tags);
        Assert.Equal(expected, TagDocuments.With(located, [new Tag("k", "v")]));
    }

    private sealed class Sample : ITaggable
    {
        public required string Id { get; init; }
        public string? State { get; set; }
        public List<Sample> Children { get; init; } = [];
        public List<Tag> Tags { get; init; } = [];
    }

    [Fact]
    public void With_ARoundTripOfATypedResourceDecodesAsTheEditedResource()
    {
        var sample = new Sample
        {
            Id = "i-0123456789abcdef0",
            State = "running",
            Children = [new Sample { Id = "vol-1", Tags = [new Tag("child", "1")] }],
            Tags = [new Tag("Name", "bench-1"), new Tag("group", "g1")],
        };
        var document = JsonSerializer.Serialize(sample, ResourceStore.Json);
        var located = TagDocuments.Locate(document);
        Assert.Equal(sample.Tags, located.Tags);
        located.Tags.RemoveAll(t => t.Key == "group");
        located.Tags.Add(new Tag("touched", "0.5"));
        var edited = JsonSerializer.Deserialize<Sample>(TagDocuments.With(located, located.Tags), ResourceStore.Json)!;
        Assert.Equal([new Tag("Name", "bench-1"), new Tag("touched", "0.5")], edited.Tags);
        Assert.Equal([new Tag("child", "1")], Assert.Single(edited.Children).Tags);
        Assert.Equal("running", edited.State);
        var bare = JsonSerializer.Serialize(new Sample { Id = "vol-2", Tags = null! }, ResourceStore.Json);
        Assert.Equal([new Tag("a", "b")], JsonSerializer.Deserialize<Sample>(TagDocuments.With(TagDocuments.Locate(bare), [new Tag("a", "b")]), ResourceStore.Json)!.Tags);
    }

    [Theory]
    // Tags as the last member (how stored documents end), alone, or not last.
    [InlineData("""{"id":"i-1","tags":[{"key":"a","value":"b"}]}""", "a", """{"id":"i-1","tags":[{"key":"k","value":"v"}]}""")]
    [InlineData("""{"tags":[{"key":"a","value":"b"}]}""", "a", """{"tags":[{"key":"k","value":"v"}]}""")]
    [InlineData("""{"tags":[{"key":"a","value":"b"}],"id":"i-1"}""", "a", """{"tags":[{"key":"k","value":"v"}],"id":"i-1"}""")]
    [InlineData("""{"id":"i-1","tags":null}""", "", """{"id":"i-1","tags":[{"key":"k","value":"v"}]}""")]
    // A nested object's tags as the document's last bytes are not the resource's.
    [InlineData("""{"id":"i-1","x":{"tags":[{"key":"a","value":"b"}]}}""", "", """{"id":"i-1","x":{"tags":[{"key":"a","value":"b"}]},"tags":[{"key":"k","value":"v"}]}""")]
    [InlineData("""{"tags":[{"key":"c","value":"d"}],"x":[{"tags":[{"key":"a","value":"b"}]}]}""", "c", """{"tags":[{"key":"k","value":"v"}],"x":[{"tags":[{"key":"a","value":"b"}]}]}""")]
    // Text that looks like the member inside a string value.
    [InlineData("""{"note":",\"tags\":[]}","tags":[{"key":"a","value":"b"}]}""", "a", """{"note":",\"tags\":[]}","tags":[{"key":"k","value":"v"}]}""")]
    [InlineData("""{"note":",\"tags\":[]}"}""", "", """{"note":",\"tags\":[]}","tags":[{"key":"k","value":"v"}]}""")]
    // Whitespace between the tokens.
    [InlineData("""{ "id": "i-1", "tags": [ {"key":"a","value":"b"} ] }""", "a", """{ "id": "i-1", "tags": [{"key":"k","value":"v"}] }""")]
    public void Locate_FindsTheResourcesOwnTagsWhereverTheyLie(string document, string firstKey, string replaced)
    {
        var located = TagDocuments.Locate(document);
        Assert.Equal(firstKey, located.Tags.Select(t => t.Key).FirstOrDefault() ?? "");
        Assert.Equal(replaced, TagDocuments.With(located, [new Tag("k", "v")]));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""{"id":"i-1",""")]
    [InlineData("""{"tags":{"key":"k"}}""")]
    public void Locate_RefusesWhatIsNotAResourceDocument(string document) =>
        Assert.ThrowsAny<JsonException>(() => TagDocuments.Locate(document));
}
