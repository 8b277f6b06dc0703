using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Chat.Accounts;

internal sealed class TokenRevocationConfiguration : IEntityTypeConfiguration<TokenRevocation>
{
    public void Configure(EntityTypeBuilder<TokenRevocation> revocation)
    {
        revocation.ToTable("token_revocations");
        // No foreign key to users: a host application's users have no row there.
        revocation.HasKey(r => r.UserId).HasName("pk_token_revocations");
        revocation.Property(r => r.UserId).HasColumnName("user_id").ValueGeneratedNever();
        revocation.Property(r => r.RevokedBefore).HasColumnName("revoked_before");
    }
}
