package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Params configure an S3 store.
type S3Params struct {
	// Endpoint is the server's host[:port], without scheme. Required.
	Endpoint string
	// Bucket holds the objects; it must exist. Required.
	Bucket string
	// AccessKey and SecretKey sign the requests (static credentials).
	AccessKey, SecretKey string
	// UseSSL talks HTTPS.
	UseSSL bool
	// Region is the bucket's region; empty lets the client ask.
	Region string
	// Prefix is prepended to every object key (e.g. "segments/").
	Prefix string
	// SpoolDir holds the temporary copy of an upload while its hash is
	// checked; os.TempDir() when empty. It needs room for the largest
	// segment times the concurrent uploads.
	SpoolDir string
	// Transport overrides the HTTP transport (nil: the client's default).
	Transport http.RoundTripper
}

// S3 is a Store in an S3-compatible bucket (AWS S3, MinIO, versitygw,
// Ceph RGW…): objects at <prefix><k[0:2]>/<k[2:4]>/<k>, as in FS.
//
// Put never lets unchecked bytes reach the bucket: it copies the upload
// to a spool file while hashing it, refuses it when the hash or size is
// wrong, and only then sends the file in a single PUT with its Content-MD5
// (the server checks the transfer) and "If-None-Match: *" (an existing
// object is never overwritten). An object that exists is not written
// again. Open reads with HTTP range requests, so playback seeks without
// downloading the whole segment.
type S3 struct {
	c      *minio.Client
	bucket string
	prefix string
	spool  string
}

var _ Store = (*S3)(nil)

// NewS3 connects to the bucket and checks that it exists. Errors:
// ErrInvalid for missing parameters or a missing bucket, network errors.
func NewS3(ctx context.Context, p S3Params) (*S3, error) {
	if p.Endpoint == "" || p.Bucket == "" {
		return nil, fmt.Errorf("%w: s3 store: endpoint and bucket are required", ErrInvalid)
	}
	if strings.Contains(p.Endpoint, "://") {
		return nil, fmt.Errorf("%w: s3 endpoint %q: give host:port without scheme (use_ssl chooses HTTPS)", ErrInvalid, p.Endpoint)
	}
	c, err := minio.New(p.Endpoint, &minio.Options{
		Creds: credentials.NewStaticV4(p.AccessKey, p.SecretKey, ""), Secure: p.UseSSL,
		Region: p.Region, Transport: p.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 store %s: %w", p.Endpoint, err)
	}
	ok, err := c.BucketExists(ctx, p.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3 store %s bucket %s: %w", p.Endpoint, p.Bucket, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: s3 bucket %q does not exist on %s", ErrInvalid, p.Bucket, p.Endpoint)
	}
	if p.SpoolDir == "" {
		p.SpoolDir = os.TempDir()
	}
	if err := os.MkdirAll(p.SpoolDir, 0o750); err != nil {
		return nil, fmt.Errorf("s3 store spool %s: %w", p.SpoolDir, err)
	}
	return &S3{c: c, bucket: p.Bucket, prefix: p.Prefix, spool: p.SpoolDir}, nil
}

func (s *S3) object(key string) string {
	return s.prefix + key[0:2] + "/" + key[2:4] + "/" + key
}

// Put implements Store.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, max int64) (int64, error) {
	if err := CheckKey(key); err != nil {
		return 0, err
	}
	if size, ok, err := s.stat(ctx, key); err != nil {
		return 0, err
	} else if ok {
		return size, nil // immutable and content-addressed: keep the original
	}
	tmp, err := os.CreateTemp(s.spool, "evalroom-s3-"+key+"-*")
	if err != nil {
		return 0, fmt.Errorf("s3 put %s: spool: %w", key, err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), &ctxReader{ctx: ctx, r: io.LimitReader(r, max+1)})
	switch {
	case err != nil:
		return 0, fmt.Errorf("s3 put %s: %w", key, err)
	case n > max:
		return 0, fmt.Errorf("%w: over %d bytes", ErrTooLarge, max)
	case hex.EncodeToString(h.Sum(nil)) != key:
		return 0, fmt.Errorf("%w: %s", ErrHashMismatch, key)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("s3 put %s: %w", key, err)
	}
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream", SendContentMd5: true, DisableMultipart: true,
		UserMetadata: map[string]string{"evalroom-sha256": key}}
	opts.SetMatchETagExcept("*")
	_, err = s.c.PutObject(ctx, s.bucket, s.object(key), tmp, n, opts)
	if err != nil && !isPreconditionFailed(err) {
		return 0, fmt.Errorf("s3 put %s: %w", key, err)
	}
	size, ok, err := s.stat(ctx, key)
	switch {
	case err != nil:
		return 0, err
	case !ok:
		return 0, fmt.Errorf("s3 put %s: the object is absent after the upload", key)
	case size != n:
		return 0, fmt.Errorf("%w: s3 object %s holds %d bytes, uploaded %d", ErrHashMismatch, key, size, n)
	}
	return n, nil
}

// Open implements Store: the object reads through range requests as it
// seeks.
func (s *S3) Open(ctx context.Context, key string) (Object, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	size, ok, err := s.stat(ctx, key)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	o, err := s.c.GetObject(ctx, s.bucket, s.object(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("s3 open %s: %w", key, err)
	}
	return s3Object{Object: o, size: size}, nil
}

// Has implements Store.
func (s *S3) Has(ctx context.Context, key string) (bool, error) {
	if err := CheckKey(key); err != nil {
		return false, err
	}
	_, ok, err := s.stat(ctx, key)
	return ok, err
}

// stat returns the object's size and whether it exists.
func (s *S3) stat(ctx context.Context, key string) (int64, bool, error) {
	info, err := s.c.StatObject(ctx, s.bucket, s.object(key), minio.StatObjectOptions{})
	if err == nil {
		return info.Size, true, nil
	}
	resp := minio.ToErrorResponse(err)
	if resp.StatusCode == http.StatusNotFound || resp.Code == "NoSuchKey" || resp.Code == "NotFound" {
		return 0, false, nil
	}
	return 0, false, fmt.Errorf("s3 stat %s: %w", key, err)
}

func isPreconditionFailed(err error) bool {
	resp := minio.ToErrorResponse(err)
	return resp.StatusCode == http.StatusPreconditionFailed || resp.Code == "PreconditionFailed"
}

// s3Object is an open S3 object of known size.
type s3Object struct {
	*minio.Object
	size int64
}

// Size implements Object.
func (o s3Object) Size() int64 { return o.size }
