using System.Globalization;

namespace Stratus.Domain.ElasticLoadBalancingV2;

/// <summary>
/// Load balancer, target group and listener attributes: AWS's keys and defaults per type, and the
/// validation ModifyXxxAttributes applies (an unknown key or a bad value is a ValidationError /
/// InvalidConfigurationRequest and nothing changes).
/// </summary>
public static class ElbAttributes
{
    public static Dictionary<string, string> LoadBalancerDefaults(string type) => type == ElbTypes.Application
        ? new(StringComparer.Ordinal)
        {
            ["access_logs.s3.enabled"] = "false",
            ["access_logs.s3.bucket"] = "",
            ["access_logs.s3.prefix"] = "",
            ["connection_logs.s3.enabled"] = "false",
            ["connection_logs.s3.bucket"] = "",
            ["connection_logs.s3.prefix"] = "",
            ["health_check_logs.s3.enabled"] = "false",
            ["health_check_logs.s3.bucket"] = "",
            ["health_check_logs.s3.prefix"] = "",
            ["client_keep_alive.seconds"] = "3600",
            ["deletion_protection.enabled"] = "false",
            ["idle_timeout.timeout_seconds"] = "60",
            ["load_balancing.cross_zone.enabled"] = "true",
            ["routing.http.desync_mitigation_mode"] = "defensive",
            ["routing.http.drop_invalid_header_fields.enabled"] = "false",
            ["routing.http.preserve_host_header.enabled"] = "false",
            ["routing.http.x_amzn_tls_version_and_cipher_suite.enabled"] = "false",
            ["routing.http.xff_client_port.enabled"] = "false",
            ["routing.http.xff_header_processing.mode"] = "append",
            ["routing.http2.enabled"] = "true",
            ["waf.fail_open.enabled"] = "false",
            ["zonal_shift.config.enabled"] = "false",
        }
        : new(StringComparer.Ordinal)
        {
            ["access_logs.s3.enabled"] = "false",
            ["access_logs.s3.bucket"] = "",
            ["access_logs.s3.prefix"] = "",
            ["deletion_protection.enabled"] = "false",
            ["dns_record.client_routing_policy"] = "any_availability_zone",
            ["load_balancing.cross_zone.enabled"] = "false",
            ["zonal_shift.config.enabled"] = "false",
        };

    public static Dictionary<string, string> TargetGroupDefaults(string? protocol, string targetType)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["deregistration_delay.timeout_seconds"] = "300",
            ["stickiness.enabled"] = "false",
            ["load_balancing.cross_zone.enabled"] = "use_load_balancer_configuration",
            ["target_group_health.dns_failover.minimum_healthy_targets.count"] = "1",
            ["target_group_health.dns_failover.minimum_healthy_targets.percentage"] = "off",
            ["target_group_health.unhealthy_state_routing.minimum_healthy_targets.count"] = "1",
            ["target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage"] = "off",
        };
        if (protocol is "HTTP" or "HTTPS")
        {
            attributes["stickiness.type"] = "lb_cookie";
            attributes["stickiness.lb_cookie.duration_seconds"] = "86400";
            attributes["stickiness.app_cookie.cookie_name"] = "";
            attributes["stickiness.app_cookie.duration_seconds"] = "86400";
            attributes["load_balancing.algorithm.type"] = "round_robin";
            attributes["load_balancing.algorithm.anomaly_mitigation"] = "off";
            attributes["slow_start.duration_seconds"] = "0";
        }
        else
        {
            attributes["stickiness.type"] = "source_ip";
            attributes["deregistration_delay.connection_termination.enabled"] = "false";
            attributes["preserve_client_ip.enabled"] = targetType == "ip" && protocol is "TCP" or "TLS" ? "false" : "true";
            attributes["proxy_protocol_v2.enabled"] = "false";
            attributes["target_health_state.unhealthy.connection_termination.enabled"] = "true";
            attributes["target_health_state.unhealthy.draining_interval_seconds"] = "0";
        }
        return attributes;
    }

    public static Dictionary<string, string> ListenerDefaults(string protocol) => protocol is "TCP"
        ? new(StringComparer.Ordinal) { ["tcp.idle_timeout.seconds"] = "350" }
        : new(StringComparer.Ordinal);

    /// <summary>Applies <paramref name="changes"/> to a copy of <paramref name="current"/>, refusing unknown keys and bad values.</summary>
    public static Dictionary<string, string> Apply(Dictionary<string, string> current, IEnumerable<KeyValuePair<string, string>> changes, Action<string, string>? validate = null)
    {
        var result = new Dictionary<string, string>(current, StringComparer.Ordinal);
        foreach (var (key, value) in changes)
        {
            if (!result.ContainsKey(key))
            {
                throw ElbErrors.Validation($"Attribute key '{key}' is not recognized");
            }
            validate?.Invoke(key, value);
            result[key] = value;
        }
        return result;
    }

    /// <summary>Value checks shared by every attribute set.</summary>
    public static void ValidateValue(string key, string value)
    {
        static int Int(string key, string value, int min, int max)
        {
            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
            {
                throw ElbErrors.InvalidConfiguration($"The value of '{key}' must be an integer between {min} and {max}");
            }
            return n;
        }
        if (key.EndsWith(".enabled", StringComparison.Ordinal) && key != "load_balancing.cross_zone.enabled" && value is not ("true" or "false"))
        {
            throw ElbErrors.InvalidConfiguration($"The value of '{key}' must be either 'true' or 'false'");
        }
        switch (key)
        {
            case "idle_timeout.timeout_seconds": Int(key, value, 1, 4000); break;
            case "client_keep_alive.seconds": Int(key, value, 60, 604800); break;
            case "deregistration_delay.timeout_seconds": Int(key, value, 0, 3600); break;
            case "stickiness.lb_cookie.duration_seconds":
            case "stickiness.app_cookie.duration_seconds": Int(key, value, 1, 604800); break;
            case "slow_start.duration_seconds":
                if (Int(key, value, 0, 900) is > 0 and < 30)
                {
                    throw ElbErrors.InvalidConfiguration("The value of 'slow_start.duration_seconds' must be 0 or between 30 and 900");
                }
                break;
            case "tcp.idle_timeout.seconds": Int(key, value, 60, 6000); break;
            case "load_balancing.algorithm.type":
                if (value is not ("round_robin" or "least_outstanding_requests" or "weighted_random"))
                {
                    throw ElbErrors.InvalidConfiguration($"The value of 'load_balancing.algorithm.type' must be one of 'round_robin', 'least_outstanding_requests', 'weighted_random'");
                }
                break;
            case "stickiness.type":
                if (value is not ("lb_cookie" or "app_cookie" or "source_ip" or "source_ip_dest_ip" or "source_ip_dest_ip_proto"))
                {
                    throw ElbErrors.InvalidConfiguration($"The value of 'stickiness.type' '{value}' is not valid");
                }
                break;
            case "routing.http.desync_mitigation_mode":
                if (value is not ("monitor" or "defensive" or "strictest"))
                {
                    throw ElbErrors.InvalidConfiguration("The value of 'routing.http.desync_mitigation_mode' must be one of 'monitor', 'defensive', 'strictest'");
                }
                break;
            case "routing.http.xff_header_processing.mode":
                if (value is not ("append" or "preserve" or "remove"))
                {
                    throw ElbErrors.InvalidConfiguration("The value of 'routing.http.xff_header_processing.mode' must be one of 'append', 'preserve', 'remove'");
                }
                break;
            case "load_balancing.cross_zone.enabled":
                if (value is not ("true" or "false" or "use_load_balancer_configuration"))
                {
                    throw ElbErrors.InvalidConfiguration("The value of 'load_balancing.cross_zone.enabled' must be 'true', 'false' or 'use_load_balancer_configuration'");
                }
                break;
            default:
                break;
        }
    }

    public static int Int(Dictionary<string, string> attributes, string key, int fallback) =>
        attributes.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : fallback;

    public static bool Bool(Dictionary<string, string> attributes, string key) => attributes.TryGetValue(key, out var v) && v == "true";
}
