using System.Text;

namespace Stratus.Server;

/// <summary>
/// Writes a named profile into the AWS CLI's shared files so that
/// <c>aws --profile stratus ec2 describe-regions</c> needs no other flags: the credentials in
/// <c>credentials</c>; region and <c>endpoint_url</c> in <c>config</c>. Other profiles and lines
/// are kept; only the named section is replaced. Files are written atomically, credentials with
/// mode 600.
/// </summary>
public static class AwsProfileWriter
{
    public static void Write(string directory, string profile, string accessKeyId, string secretAccessKey, string region, string endpoint)
    {
        Directory.CreateDirectory(directory);
        ReplaceSection(Path.Combine(directory, "credentials"), profile,
            [$"aws_access_key_id = {accessKeyId}", $"aws_secret_access_key = {secretAccessKey}"], secret: true);
        ReplaceSection(Path.Combine(directory, "config"), profile == "default" ? "default" : $"profile {profile}",
            [$"region = {region}", $"endpoint_url = {endpoint}", "output = json"], secret: false);
    }

    internal static void ReplaceSection(string path, string section, IReadOnlyList<string> lines, bool secret)
    {
        var existing = File.Exists(path) ? File.ReadAllLines(path) : [];
        var output = new StringBuilder();
        var skipping = false;
        foreach (var line in existing)
        {
            var trimmed = line.Trim();
            if (trimmed.StartsWith('[') && trimmed.EndsWith(']'))
            {
                skipping = trimmed[1..^1].Trim() == section;
            }
            if (!skipping)
            {
                output.Append(line).Append('\n');
            }
        }
        var text = output.ToString().TrimEnd('\n');
        var sb = new StringBuilder(text);
        if (sb.Length > 0)
        {
            sb.Append("\n\n");
        }
        sb.Append('[').Append(section).Append("]\n");
        foreach (var line in lines)
        {
            sb.Append(line).Append('\n');
        }
        var temp = path + ".stratus-tmp";
        File.WriteAllText(temp, sb.ToString());
        if (secret && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        File.Move(temp, path, overwrite: true);
    }
}
