package resolve_test

import (
	"testing"

	"entgo.io/ent/entc/gen"
	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/resolve"
)

// TestNamesMatchEnt: the table and file names resolve derives without Ent's generator are
// Ent's own (entc/gen's plural and snake) for every built-in entity and a corpus of shapes.
func TestNamesMatchEnt(t *testing.T) {
	plural := gen.Funcs["plural"].(func(string) string)
	snake := gen.Funcs["snake"].(func(string) string)
	names := []string{
		"User", "Session", "Account", "Verification", "RateLimit", "TwoFactor", "APIKey", "Passkey",
		"Organization", "Member", "Invitation", "Team", "TeamMember", "OrganizationRole", "SSOProvider",
		"SCIMProvider", "Subscription", "JWKS", "DeviceCode", "WalletAddress", "OAuthApplication",
		"OAuthAccessToken", "OAuthConsent", "OAuthClient", "OAuthRefreshToken", "Jwks", "Person",
		"Child", "Mouse", "Sheep", "Status", "Index", "Matrix", "Data", "Info", "News", "HTTPCode",
		"UserID", "URLShortener", "A", "AB", "ABC", "Abc", "X1", "Thing2Thing", "Quiz", "Bus",
		"Criterion", "Octopus", "Analysis", "Leaf", "Wife", "Hero", "Photo", "Query", "Day", "Fish",
		"Equipment", "Axis", "Ox", "Alias", "IP", "IPAddress", "UUIDMap", "Under_Score", "Tooth",
	}
	for _, n := range names {
		assert.Check(t, resolve.Plural(n) == plural(n), "plural(%s): %s, Ent %s", n, resolve.Plural(n), plural(n))
		assert.Check(t, resolve.Snake(n) == snake(n), "snake(%s): %s, Ent %s", n, resolve.Snake(n), snake(n))
		assert.Check(t, resolve.TableName(n) == snake(plural(n)))
	}
}
