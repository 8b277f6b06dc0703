namespace Chat.Accounts;

/// <summary>
/// Every token issued to a user before <see cref="RevokedBefore"/> is void: what signing out
/// everywhere leaves behind. Keyed by user id alone, with no reference to a users row, so it
/// revokes the tokens a host application minted for its own users just the same.
/// </summary>
public sealed class TokenRevocation
{
    public long UserId { get; set; }

    /// <summary>Tokens issued before this moment (UTC) are refused. It only moves forwards.</summary>
    public DateTime RevokedBefore { get; set; }
}
