package auth

import "fmt"

// Role is what a user may do.
type Role string

// The roles of evalroom.
const (
	// RoleAdmin manages users, the expert pool and everything else.
	RoleAdmin Role = "admin"
	// RoleStaff runs one venue (VenueCode): draws, answers taken by phone,
	// the room's control panel.
	RoleStaff Role = "staff"
	// RoleEvaluator scores bids in one evaluation session (SessionRef).
	RoleEvaluator Role = "evaluator"
	// RoleSupervisor watches rooms and reads the audit trail.
	RoleSupervisor Role = "supervisor"
	// RoleArchivist retrieves recordings.
	RoleArchivist Role = "archivist"
)

// Roles lists every role, in a stable order.
var Roles = []Role{RoleAdmin, RoleStaff, RoleEvaluator, RoleSupervisor, RoleArchivist}

// ParseRole returns the role named s, or an error wrapping ErrInvalid for
// an unknown name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("%w: 未知角色 %q（可选：admin、staff、evaluator、supervisor、archivist）", ErrInvalid, s)
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	_, err := ParseRole(string(r))
	return err == nil
}
