package auth

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/evalroom/evalroom/internal/errtext"
)

// User is an account of evalroom.
type User struct {
	ID          int64     `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        Role      `json:"role"`
	VenueCode   string    `json:"venue_code"`
	SessionRef  string    `json:"session_ref"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
}

// Actor is how the user appears in the audit log: "user:<id>".
func (u User) Actor() string { return fmt.Sprintf("user:%d", u.ID) }

// HasRole reports whether u has one of roles.
func (u User) HasRole(roles ...Role) bool {
	for _, r := range roles {
		if u.Role == r {
			return true
		}
	}
	return false
}

// UserInput is a new user.
type UserInput struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Password    string `json:"password"`
	// Role is one of Roles; anything else is refused with ErrInvalid.
	Role string `json:"role"`
	// VenueCode is required for staff.
	VenueCode string `json:"venue_code"`
	// SessionRef is required for evaluators.
	SessionRef string `json:"session_ref"`
}

// UserPatch changes some fields of a user; nil fields stay as they are.
type UserPatch struct {
	DisplayName *string `json:"display_name"`
	Role        *string `json:"role"`
	VenueCode   *string `json:"venue_code"`
	SessionRef  *string `json:"session_ref"`
	Disabled    *bool   `json:"disabled"`
}

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9_.@-]{2,64}$`)

// validate normalises and checks u's fields (not the password).
func (u *User) validate() error {
	u.Username = strings.TrimSpace(u.Username)
	u.DisplayName = strings.TrimSpace(u.DisplayName)
	u.VenueCode = strings.TrimSpace(u.VenueCode)
	u.SessionRef = strings.TrimSpace(u.SessionRef)
	if !usernameRE.MatchString(u.Username) {
		return errtext.Field(fmt.Errorf("%w: 用户名须为 2–64 位字母、数字或 _ . @ -", ErrInvalid), "username")
	}
	if utf8.RuneCountInString(u.DisplayName) > 100 {
		return errtext.Field(fmt.Errorf("%w: 显示名称最多 100 个字", ErrInvalid), "display_name")
	}
	if _, err := ParseRole(string(u.Role)); err != nil {
		return errtext.Field(err, "role")
	}
	if u.Role == RoleStaff && u.VenueCode == "" {
		return errtext.Field(fmt.Errorf("%w: 现场工作人员必须指定场地编码（venue_code）", ErrInvalid), "venue_code")
	}
	if u.Role == RoleEvaluator && u.SessionRef == "" {
		return errtext.Field(fmt.Errorf("%w: 评标专家账号必须指定评标会话（session_ref）", ErrInvalid), "session_ref")
	}
	return nil
}
