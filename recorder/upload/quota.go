package upload

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// makeRoom deletes acknowledged segment files, oldest (lowest seq)
// first, while the spool is over QuotaBytes. It never deletes a manifest,
// the state files or a segment the archive has not acknowledged; when
// that is not enough it sets the quota alarm.
func (u *Uploader) makeRoom(l *listing) {
	quota := u.p.QuotaBytes
	text := ""
	if quota > 0 && l.total > quota {
		for _, e := range l.entries {
			if l.total <= quota || e.seq > u.st.Acked {
				break
			}
			n, ok := l.files[e.segment]
			if !ok || e.recorder != u.st.Recorder || !deletable(e.segment) {
				continue
			}
			err := os.Remove(filepath.Join(u.p.Dir, e.segment))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				u.log.Error("delete acknowledged segment", "segment", e.segment, "err", err)
				continue
			}
			delete(l.files, e.segment)
			l.total -= n
			u.log.Info("acknowledged segment deleted to keep the spool under its quota",
				"seq", e.seq, "segment", e.segment, "bytes", n, "spool_bytes", l.total, "quota_bytes", quota)
		}
		if l.total > quota {
			text = fmt.Sprintf("录像缓存超出配额（已用 %s，配额 %s），未上传的片段不能删除：请尽快恢复与归档服务器的连接或扩充磁盘",
				size(l.total), size(quota))
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.setAlarm(&u.quotaAlarm, text)
}

// segmentExts are the extensions of the segment files the recorder writes
// (recorder/segment) and manifest.DirSource lists.
var segmentExts = map[string]bool{".mp4": true, ".m4s": true, ".webm": true, ".mkv": true}

// deletable reports whether name may be a segment file to delete: a
// segment extension, never a manifest, a state or a temporary file.
func deletable(name string) bool {
	return segmentExts[strings.ToLower(filepath.Ext(name))] && !strings.HasPrefix(name, ".")
}

// size formats a byte count for an alarm.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d 字节", n)
}
