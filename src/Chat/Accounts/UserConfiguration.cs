using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Chat.Accounts;

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public const int UsernameMaxLength = 32;

    public void Configure(EntityTypeBuilder<User> user)
    {
        user.ToTable("users");
        user.HasKey(u => u.Id).HasName("pk_users");
        user.Property(u => u.Id).HasColumnName("id");
        user.Property(u => u.Username).HasColumnName("username").HasMaxLength(UsernameMaxLength).IsRequired();
        user.Property(u => u.NormalizedUsername).HasColumnName("normalized_username").HasMaxLength(UsernameMaxLength).IsRequired();
        user.Property(u => u.PasswordHash).HasColumnName("password_hash").IsRequired();
        user.Property(u => u.InsertedAt).HasColumnName("inserted_at");
        user.Property(u => u.UpdatedAt).HasColumnName("updated_at");
        user.HasIndex(u => u.NormalizedUsername).HasDatabaseName("ix_users_normalized_username").IsUnique();
    }
}
