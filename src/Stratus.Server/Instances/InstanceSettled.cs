namespace Stratus.Server.Instances;

/// <summary>
/// Tells whoever listens (the Auto Scaling controller) that instances finished a transition — a boot
/// became <c>running</c>, a stop <c>stopped</c>, a termination <c>terminated</c> — once
/// <see cref="InstanceLifecycle"/> has committed it, so a fleet controller acts at once instead of at
/// its next periodic pass.
/// </summary>
internal sealed class InstanceSettled
{
    private readonly Lock _lock = new();
    private Action[] _listeners = [];

    public void Subscribe(Action listener)
    {
        lock (_lock)
        {
            _listeners = [.. _listeners, listener];
        }
    }

    public void Notify()
    {
        foreach (var listener in _listeners)
        {
            listener();
        }
    }
}
