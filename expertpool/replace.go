package expertpool

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// replaceInTx draws a replacement for member, which the caller has just
// released (declined, no answer, recused) inside tx, for the same quota
// under the same rules, never someone already drawn for this draw. It
// books and notifies the replacement in tx and returns its member id, or 0
// when no candidate is left (then staff are alerted through the audit log
// and the draw's state becomes "short").
//
// TODO(draw engine): implemented with the draw engine.
func (s *Service) replaceInTx(ctx context.Context, tx pgx.Tx, memberID int64, actor string) (int64, error) {
	return 0, errors.New("replaceInTx: not implemented yet")
}
