namespace Stratus.Domain.Resources;

/// <summary>Scheduled events, event windows, Reserved Instances and host reservations.</summary>
public static partial class ResourceTypes
{
    /// <summary>The scheduled events of one instance (stored under the instance's id).</summary>
    public static readonly ResourceType InstanceEvents = new("instance-events", "i", "InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed", "The instance ID '{0}' does not exist");

    /// <summary>The account's event notification attributes in a region (one document, id <c>default</c>).</summary>
    public static readonly ResourceType EventNotificationAttributes = new("event-notification-attributes", "default", "InvalidParameterValue", "InvalidParameterValue", "{0}");
    public static readonly ResourceType InstanceEventWindow = new("instance-event-window", "iew", "InvalidInstanceEventWindowID.NotFound", "InvalidInstanceEventWindowID.Malformed", "The instance event window ID '{0}' does not exist");
    public static readonly ResourceType ReservedInstances = new("reserved-instances", "ri", "InvalidReservedInstancesId.NotFound", "InvalidReservedInstancesId.Malformed", "Reserved Instances '{0}' not found");
    public static readonly ResourceType ReservedInstancesModification = new("reserved-instances-modification", "rimod", "InvalidReservedInstancesModificationId.NotFound", "InvalidReservedInstancesModificationId.Malformed", "The Reserved Instances modification '{0}' does not exist");
    public static readonly ResourceType ReservedInstancesListing = new("reserved-instances-listing", "ril", "InvalidReservedInstancesListingId.NotFound", "InvalidReservedInstancesListingId.Malformed", "The Reserved Instances listing '{0}' does not exist");
    public static readonly ResourceType HostReservation = new("host-reservation", "hr", "InvalidHostReservationId.NotFound", "InvalidHostReservationId.Malformed", "The host reservation '{0}' does not exist");

    private static ResourceType[] ComputeTaggable => [InstanceEventWindow, ReservedInstances, HostReservation];
}
