// Package builtin lists Kernia's built-in plugins explicitly: no init() registry.
package builtin

import (
	"github.com/kernia/kernia"
	"github.com/kernia/kernia/plugins/admin"
	"github.com/kernia/kernia/plugins/anonymous"
	"github.com/kernia/kernia/plugins/apikey"
	"github.com/kernia/kernia/plugins/deviceauthorization"
	"github.com/kernia/kernia/plugins/jwt"
	"github.com/kernia/kernia/plugins/lastloginmethod"
	"github.com/kernia/kernia/plugins/oauthprovider"
	"github.com/kernia/kernia/plugins/organization"
	"github.com/kernia/kernia/plugins/passkey"
	"github.com/kernia/kernia/plugins/phonenumber"
	"github.com/kernia/kernia/plugins/scim"
	"github.com/kernia/kernia/plugins/siwe"
	"github.com/kernia/kernia/plugins/sso"
	"github.com/kernia/kernia/plugins/stripe"
	"github.com/kernia/kernia/plugins/twofactor"
	"github.com/kernia/kernia/plugins/username"
)

// All returns every built-in plugin in a stable order (the order of DESIGN §2, then
// device-authorization, siwe, last-login-method and oauth-provider), each with every option
// that adds tables or columns enabled: organization with teams and dynamic access control,
// sso with domain verification, scim with managed connections and stripe with
// subscriptions. It is the dogfood configuration: its schema holds every table and
// column a built-in plugin can contribute.
func All() []kernia.Plugin {
	return []kernia.Plugin{
		twofactor.New(),
		organization.New(organization.WithTeams(), organization.WithDynamicAccessControl()),
		apikey.New(),
		passkey.New(),
		sso.New(sso.WithDomainVerification()),
		scim.New(scim.WithManagedConnections()),
		stripe.New(stripe.WithSubscriptions()),
		phonenumber.New(),
		admin.New(),
		username.New(),
		jwt.New(),
		anonymous.New(),
		deviceauthorization.New(),
		siwe.New(),
		lastloginmethod.New(),
		oauthprovider.New(),
	}
}

// Defaults returns every built-in plugin with its default options (New() without options), in
// the order of All.
func Defaults() []kernia.Plugin {
	return []kernia.Plugin{
		twofactor.New(),
		organization.New(),
		apikey.New(),
		passkey.New(),
		sso.New(),
		scim.New(),
		stripe.New(),
		phonenumber.New(),
		admin.New(),
		username.New(),
		jwt.New(),
		anonymous.New(),
		deviceauthorization.New(),
		siwe.New(),
		lastloginmethod.New(),
		oauthprovider.New(),
	}
}

// IDs returns the ids of the built-in plugins, in the order of All.
func IDs() []string {
	var ids []string
	for _, p := range All() {
		ids = append(ids, p.ID())
	}
	return ids
}

// ByID returns the built-in plugin with the given id and default options.
func ByID(id string) (kernia.Plugin, bool) {
	for _, p := range Defaults() {
		if p.ID() == id {
			return p, true
		}
	}
	return nil, false
}
