using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Stratus.Runtime.Tests.Container;

/// <summary>Writes a runtime's log to the test's output.</summary>
internal sealed class TestOutputLogs(ITestOutputHelper output) : ILoggerFactory, ILogger
{
    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            output.WriteLine($"[{logLevel}] {formatter(state, exception)}");
        }
        catch (InvalidOperationException)
        {
            // The test is over.
        }
    }

    public void Dispose()
    {
    }
}
