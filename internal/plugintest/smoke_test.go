package plugintest

// smokeGo is the application of the all-plugins configuration: it creates every entity
// through the generated client, reads each back, then deletes a user and an organization and
// prints what is left of every table, and deletes a session that OAuth tokens outlive.
const smokeGo = `package main

import (
	"context"
	"fmt"
	"os"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"example.com/app/ent"
	"example.com/app/ent/oauthaccesstoken"
	"example.com/app/ent/session"
	"example.com/app/ent/user"
	"github.com/kernia/kernia/sqldb"
)

func main() {
	ctx := context.Background()
	db, dialect, err := sqldb.Open(ctx, os.Args[1])
	if err != nil {
		panic(err)
	}
	c := ent.NewClient(ent.Driver(entsql.OpenDB(dialect, db)))
	defer c.Close()
	now := time.Now()
	later := now.Add(time.Hour)

	// Ada owns one row of every per-user table; Grace is another member of Ada's organization.
	ada := c.User.Create().SetName("Ada").SetEmail("ada@example.com").
		SetTwoFactorEnabled(true).SetRole("admin").SetBanned(false).SetUsername("ada").
		SetDisplayUsername("Ada").SetPhoneNumber("+15550100").SetPhoneNumberVerified(true).
		SetIsAnonymous(false).SetStripeCustomerID("cus_ada").SetLastLoginMethod("siwe").SaveX(ctx)
	grace := c.User.Create().SetName("Grace").SetEmail("grace@example.com").SaveX(ctx)
	c.Verification.Create().SetIdentifier("ada@example.com").SetValue("code").SetExpiresAt(later).SaveX(ctx)
	c.Account.Create().SetUser(ada).SetIssuer("https://id.example.com").SetAccountID("1").SetProviderID("credential").SaveX(ctx)
	// Better Auth 1.7.3+ writes no issuer: the same provider account id twice is accepted.
	c.Account.Create().SetUser(grace).SetAccountID("1").SetProviderID("credential").SaveX(ctx)
	c.TwoFactor.Create().SetUser(ada).SetSecret("totp").SetBackupCodes("a,b").SaveX(ctx)

	org := c.Organization.Create().SetName("Acme").SetSlug("acme").SetStripeCustomerID("cus_acme").SaveX(ctx)
	team := c.Team.Create().SetName("Core").SetOrganization(org).SaveX(ctx)
	c.Session.Create().SetUser(ada).SetToken("tok-ada").SetExpiresAt(later).
		SetActiveOrganizationID(org.ID).SetActiveTeamID(team.ID).SetImpersonatedBy(grace.ID).SaveX(ctx)
	c.Session.Create().SetUser(grace).SetToken("tok-grace").SetExpiresAt(later).SaveX(ctx)
	c.Member.Create().SetOrganization(org).SetUser(ada).SetRole("owner").SaveX(ctx)
	c.Member.Create().SetOrganization(org).SetUser(grace).SaveX(ctx)
	c.Invitation.Create().SetOrganization(org).SetInviter(ada).SetEmail("bob@example.com").SetExpiresAt(later).SetTeamID(team.ID).SaveX(ctx)
	c.Invitation.Create().SetOrganization(org).SetInviter(grace).SetEmail("eve@example.com").SetExpiresAt(later).SaveX(ctx)
	c.TeamMember.Create().SetTeam(team).SetUser(ada).SetMembershipKey(team.ID + ":" + ada.ID).SaveX(ctx)
	c.TeamMember.Create().SetTeam(team).SetUser(grace).SaveX(ctx)
	c.OrganizationRole.Create().SetOrganization(org).SetRole("auditor").SetPermission("{}").SaveX(ctx)

	c.APIKey.Create().SetReferenceID(ada.ID).SetKey("hashed").SetPrefix("ka_").SaveX(ctx)
	c.Passkey.Create().SetUser(ada).SetPublicKey("pk").SetCredentialID("cred-1").SetCounter(0).
		SetDeviceType("singleDevice").SetBackedUp(false).SaveX(ctx)
	c.SSOProvider.Create().SetUser(ada).SetIssuer("https://idp.example.com").SetProviderID("acme-oidc").
		SetDomain("acme.example").SetOrganizationID(org.ID).SetDomainVerified(true).SaveX(ctx)
	c.Subscription.Create().SetPlan("pro").SetReferenceID(org.ID).SetStripeCustomerID("cus_acme").SaveX(ctx)
	c.JSONWebKey.Create().SetPublicKey("{}").SetPrivateKey("{}").SetAlg("EdDSA").SetCrv("Ed25519").SaveX(ctx)

	c.SCIMConnectionBinding.Create().SetConnectionID("conn").SetConnectionKey("conn-key").SetProvisioningDomainID("dom").SaveX(ctx)
	c.SCIMIdentityTombstone.Create().SetUser(ada).SetConnectionID("conn").SetProvisioningDomainID("dom").
		SetExternalID("x0").SetExternalIDKey("conn:x0").SetProfile("{}").SetDeletedAt(now).SaveX(ctx)
	c.SCIMSubject.Create().SetUser(ada).SetRevision(1).SaveX(ctx)
	su := c.SCIMUser.Create().SetUser(ada).SetConnectionID("conn").SetProvisioningDomainID("dom").
		SetConnectionUserKey("conn:ada").SetUserName("ada").SetUserNameKey("dom:ada").
		SetPrimaryEmail("ada@example.com").SetWorkEmailValueIndex("ada@example.com").
		SetEmailValueIndex("ada@example.com").SetDisplayName("Ada").SetFormattedName("Ada L.").
		SetSerializedEmails("[]").SetActive(true).SetOrderKey("0001").SaveX(ctx)
	c.SCIMProjectionGrant.Create().SetScimUser(su).SetUser(ada).SetConnectionID("conn").
		SetProvisioningDomainID("dom").SetSourceKind("group").SetSourceID("g").SetRole("member").
		SetGrantKey("grant").SaveX(ctx)
	group := c.SCIMGroup.Create().SetConnectionID("conn").SetProvisioningDomainID("dom").
		SetDisplayName("Eng").SetDisplayNameKey("dom:eng").SetOrderKey("0001").SaveX(ctx)
	c.SCIMGroupMember.Create().SetGroup(group).SetScimUser(su).SetConnectionID("conn").SetMembershipKey("g:ada").SaveX(ctx)
	mc := c.SCIMManagedConnection.Create().SetCreationRequestID("req").SetConnectionID("managed").
		SetProvisioningDomainID("dom").SetStatus("active").SetRevision(1).SetCreatedBy(ada.ID).SaveX(ctx)
	c.SCIMManagedCredential.Create().SetConnection(mc).SetCredentialID("cred").SetTokenDigest("digest").
		SetHashVersion("v1").SetActiveSlotKey("slot").SetStatus("active").SetSerializedScopes("[]").
		SetExpiresAt(later).SetCreatedBy(ada.ID).SaveX(ctx)
	c.SCIMManagedConnectionEvent.Create().SetConnection(mc).SetEventKey("ev").SetSequence(1).
		SetType("created").SetActorID(ada.ID).SaveX(ctx)

	c.DeviceCode.Create().SetDeviceCode("device").SetUserCode("ABCD-EFGH").SetUserID(ada.ID).
		SetExpiresAt(later).SetStatus("approved").SetPollingInterval(5000).SaveX(ctx)
	c.WalletAddress.Create().SetUser(ada).SetAddress("0x52908400098527886E0F7030069857D2E4169EE7").
		SetChainID(1).SetIsPrimary(true).SaveX(ctx)
	c.RateLimit.Create().SetKey("127.0.0.1/sign-in/email").SetCount(1).SaveX(ctx)
	client := c.OAuthClient.Create().SetClientID("client-ada").SetUser(ada).
		SetRedirectUris([]string{"https://app.example.com/callback"}).SetScopes([]string{"openid", "email"}).
		SetMetadata(map[string]any{"tier": "gold"}).SaveX(ctx)
	c.OAuthResource.Create().SetIdentifier("https://api.example.com").SetName("API").SaveX(ctx)
	c.OAuthClientResource.Create().SetClientID(client.ClientID).SetResourceID("https://api.example.com").SaveX(ctx)
	adaSession := c.Session.Query().Where(session.Token("tok-ada")).OnlyX(ctx)
	graceSession := c.Session.Query().Where(session.Token("tok-grace")).OnlyX(ctx)
	refresh := c.OAuthRefreshToken.Create().SetToken("rt-ada").SetClientID(client.ClientID).
		SetUser(ada).SetSession(adaSession).SetExpiresAt(later).SetScopes([]string{"openid"}).SaveX(ctx)
	c.OAuthAccessToken.Create().SetToken("at-ada").SetClientID(client.ClientID).SetUser(ada).
		SetSession(adaSession).SetRefreshToken(refresh).SetExpiresAt(later).SetScopes([]string{"openid"}).SaveX(ctx)
	c.OAuthAccessToken.Create().SetToken("at-grace").SetClientID(client.ClientID).SetUser(grace).
		SetSession(graceSession).SetExpiresAt(later).SetScopes([]string{"openid"}).SaveX(ctx)
	c.OAuthConsent.Create().SetClientID(client.ClientID).SetUser(ada).SetScopes([]string{"openid", "email"}).SaveX(ctx)
	c.OAuthClientAssertion.Create().SetID("AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_ab").SetExpiresAt(later).SaveX(ctx)

	got := c.User.Query().Where(user.Email("ada@example.com")).
		WithSessions().WithAccounts().WithTwoFactors().WithMemberships().WithSentInvitations().
		WithTeamMemberships().WithPasskeys().WithSSOProviders().WithScimSubject().WithScimUsers().
		WithScimProjectionGrants().WithScimIdentityTombstones().WithWalletAddresses().WithOauthClients().
		WithOauthRefreshTokens().WithOauthAccessTokens().WithOauthConsents().OnlyX(ctx)
	e := got.Edges
	fmt.Printf("ada: role=%s username=%s phone=%s stripe=%s two_factor_enabled=%v anonymous=%v\n",
		*got.Role, *got.Username, *got.PhoneNumber, *got.StripeCustomerID, got.TwoFactorEnabled, got.IsAnonymous)
	fmt.Printf("ada edges: sessions=%d accounts=%d two_factors=%d memberships=%d sent_invitations=%d team_memberships=%d passkeys=%d sso_providers=%d scim_subject=%v scim_users=%d scim_projection_grants=%d scim_identity_tombstones=%d\n",
		len(e.Sessions), len(e.Accounts), len(e.TwoFactors), len(e.Memberships), len(e.SentInvitations),
		len(e.TeamMemberships), len(e.Passkeys), len(e.SSOProviders), e.ScimSubject != nil, len(e.ScimUsers),
		len(e.ScimProjectionGrants), len(e.ScimIdentityTombstones))
	fmt.Printf("ada edges: wallet_addresses=%d oauth_clients=%d oauth_refresh_tokens=%d oauth_access_tokens=%d oauth_consents=%d last_login_method=%s\n",
		len(e.WalletAddresses), len(e.OauthClients), len(e.OauthRefreshTokens), len(e.OauthAccessTokens),
		len(e.OauthConsents), *got.LastLoginMethod)
	oc := c.OAuthClient.Query().OnlyX(ctx)
	fmt.Printf("oauth client: redirect_uris=%v scopes=%v client_credentials_scopes=%v metadata=%v disabled=%v\n",
		oc.RedirectUris, oc.Scopes, oc.ClientCredentialsScopes, oc.Metadata, oc.Disabled)
	at := c.OAuthAccessToken.Query().Where(oauthaccesstoken.Token("at-ada")).WithRefreshToken().WithSession().OnlyX(ctx)
	fmt.Printf("oauth access token: refresh_token=%v session=%v\n", at.Edges.RefreshToken.ID == refresh.ID, at.Edges.Session.ID == adaSession.ID)
	w := c.WalletAddress.Query().OnlyX(ctx)
	fmt.Printf("wallet address: chain=%d primary=%v; device code: status=%s; rate limit: count=%d last_request_set=%v\n",
		w.ChainID, w.IsPrimary, c.DeviceCode.Query().OnlyX(ctx).Status, c.RateLimit.Query().OnlyX(ctx).Count,
		c.RateLimit.Query().OnlyX(ctx).LastRequest > 0)
	s := e.Sessions[0]
	fmt.Printf("session: active_organization=%v active_team=%v impersonated_by=%v\n",
		*s.ActiveOrganizationID == org.ID, *s.ActiveTeamID == team.ID, *s.ImpersonatedBy == grace.ID)
	o := c.Organization.Query().WithMembers().WithInvitations().WithTeams().WithRoles().OnlyX(ctx)
	fmt.Printf("organization: slug=%s stripe=%s members=%d invitations=%d teams=%d roles=%d\n",
		o.Slug, *o.StripeCustomerID, len(o.Edges.Members), len(o.Edges.Invitations), len(o.Edges.Teams), len(o.Edges.Roles))
	k := c.APIKey.Query().OnlyX(ctx)
	fmt.Printf("api key: config=%s enabled=%v rate_limit=%d/%dms\n", k.ConfigID, k.Enabled, k.RateLimitMax, k.RateLimitTimeWindow)
	sub := c.Subscription.Query().OnlyX(ctx)
	fmt.Printf("subscription: plan=%s status=%s\n", sub.Plan, sub.Status)
	m := c.SCIMManagedConnection.Query().WithCredentials().WithEvents().OnlyX(ctx)
	fmt.Printf("scim managed connection: credentials=%d events=%d\n", len(m.Edges.Credentials), len(m.Edges.Events))
	counts(ctx, c, "created")

	c.User.DeleteOne(ada).ExecX(ctx)
	counts(ctx, c, "user deleted")
	c.Organization.DeleteOne(org).ExecX(ctx)
	counts(ctx, c, "organization deleted")
	c.SCIMGroup.DeleteOne(group).ExecX(ctx)
	c.SCIMManagedConnection.DeleteOne(mc).ExecX(ctx)
	counts(ctx, c, "scim group and managed connection deleted")
	// Ending a session keeps the OAuth tokens issued in it, with session_id NULL.
	c.Session.DeleteOne(graceSession).ExecX(ctx)
	gt := c.OAuthAccessToken.Query().Where(oauthaccesstoken.Token("at-grace")).OnlyX(ctx)
	fmt.Printf("grace's session deleted: oauth_access_tokens=%d session_id_null=%v\n",
		c.OAuthAccessToken.Query().CountX(ctx), gt.SessionID == nil)
}

func counts(ctx context.Context, c *ent.Client, when string) {
	fmt.Printf("%s:\n", when)
	fmt.Printf("  users=%d sessions=%d accounts=%d verifications=%d two_factors=%d\n",
		c.User.Query().CountX(ctx), c.Session.Query().CountX(ctx), c.Account.Query().CountX(ctx),
		c.Verification.Query().CountX(ctx), c.TwoFactor.Query().CountX(ctx))
	fmt.Printf("  organizations=%d members=%d invitations=%d teams=%d team_members=%d organization_roles=%d\n",
		c.Organization.Query().CountX(ctx), c.Member.Query().CountX(ctx), c.Invitation.Query().CountX(ctx),
		c.Team.Query().CountX(ctx), c.TeamMember.Query().CountX(ctx), c.OrganizationRole.Query().CountX(ctx))
	fmt.Printf("  api_keys=%d passkeys=%d sso_providers=%d subscriptions=%d json_web_keys=%d\n",
		c.APIKey.Query().CountX(ctx), c.Passkey.Query().CountX(ctx), c.SSOProvider.Query().CountX(ctx),
		c.Subscription.Query().CountX(ctx), c.JSONWebKey.Query().CountX(ctx))
	fmt.Printf("  scim_connection_bindings=%d scim_identity_tombstones=%d scim_subjects=%d scim_users=%d scim_projection_grants=%d scim_groups=%d scim_group_members=%d\n",
		c.SCIMConnectionBinding.Query().CountX(ctx), c.SCIMIdentityTombstone.Query().CountX(ctx),
		c.SCIMSubject.Query().CountX(ctx), c.SCIMUser.Query().CountX(ctx),
		c.SCIMProjectionGrant.Query().CountX(ctx), c.SCIMGroup.Query().CountX(ctx),
		c.SCIMGroupMember.Query().CountX(ctx))
	fmt.Printf("  scim_managed_connections=%d scim_managed_credentials=%d scim_managed_connection_events=%d\n",
		c.SCIMManagedConnection.Query().CountX(ctx), c.SCIMManagedCredential.Query().CountX(ctx),
		c.SCIMManagedConnectionEvent.Query().CountX(ctx))
	fmt.Printf("  device_codes=%d wallet_addresses=%d rate_limits=%d\n",
		c.DeviceCode.Query().CountX(ctx), c.WalletAddress.Query().CountX(ctx), c.RateLimit.Query().CountX(ctx))
	fmt.Printf("  oauth_clients=%d oauth_resources=%d oauth_client_resources=%d oauth_refresh_tokens=%d oauth_access_tokens=%d oauth_consents=%d oauth_client_assertions=%d\n",
		c.OAuthClient.Query().CountX(ctx), c.OAuthResource.Query().CountX(ctx),
		c.OAuthClientResource.Query().CountX(ctx), c.OAuthRefreshToken.Query().CountX(ctx),
		c.OAuthAccessToken.Query().CountX(ctx), c.OAuthConsent.Query().CountX(ctx),
		c.OAuthClientAssertion.Query().CountX(ctx))
}
`
