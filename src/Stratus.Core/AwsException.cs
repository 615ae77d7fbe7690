namespace Stratus.Core;

/// <summary>
/// An error answered to the client in AWS's shape: a code such as <c>InvalidVpcID.NotFound</c>,
/// a human message and the HTTP status AWS uses for it. Anything else that escapes a handler is an
/// internal error (500, <c>InternalError</c>) and is logged.
/// </summary>
public class AwsException(string code, string message, int statusCode = 400) : Exception(message)
{
    public string Code { get; } = code;
    public int StatusCode { get; } = statusCode;

    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>Factories for the errors every EC2-style service shares.</summary>
public static class AwsErrors
{
    public static AwsException InvalidParameterValue(string message) => new("InvalidParameterValue", message);

    public static AwsException InvalidParameterCombination(string message) => new("InvalidParameterCombination", message);

    public static AwsException MissingParameter(string parameter) =>
        new("MissingParameter", $"The request must contain the parameter {parameter}");

    public static AwsException UnknownParameter(string parameter) =>
        new("UnknownParameter", $"The parameter {parameter} is not recognized");

    public static AwsException InvalidAction(string action) =>
        new("InvalidAction", $"The action {action} is not valid for this web service.");

    public static AwsException MissingAction() => new("MissingAction", "The request must contain the parameter Action");

    public static AwsException NotImplemented(string action) =>
        new("UnsupportedOperation", $"The action {action} is not yet implemented by Stratus; see docs/api-compatibility.md for the operations it serves.");

    public static AwsException DryRunOperation() =>
        new("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412);

    public static AwsException UnauthorizedOperation(string message = "You are not authorized to perform this operation.") =>
        new("UnauthorizedOperation", message, 403);

    public static AwsException IdempotentParameterMismatch(string token) =>
        new("IdempotentParameterMismatch", $"The client token '{token}' has already been used with different request parameters.");

    public static AwsException AuthFailure(string message = "AWS was not able to validate the provided access credentials") =>
        new("AuthFailure", message, 401);

    public static AwsException SignatureDoesNotMatch(string message = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.") =>
        new("SignatureDoesNotMatch", message, 403);

    public static AwsException IncompleteSignature(string message) => new("IncompleteSignature", message, 400);

    public static AwsException MissingAuthenticationToken() =>
        new("MissingAuthenticationToken", "The request must contain either a valid (registered) AWS access key ID or X.509 certificate.", 401);

    public static AwsException RequestExpired(string message) => new("RequestExpired", message, 400);

    public static AwsException InvalidPaginationToken(string token) =>
        new("InvalidPaginationToken", $"The pagination token '{token}' is not valid.");

    public static AwsException InternalError() =>
        new("InternalError", "An internal error has occurred", 500);
}
