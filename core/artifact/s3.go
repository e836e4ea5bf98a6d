package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/deardiary/deardiary-go/core"
)

const (
	// DefaultRegion is the SigV4 region when none is given, as in
	// DearDiary.jl.
	DefaultRegion = "us-east-1"
	// DefaultPartSize is the size of the parts a large upload is sent in,
	// and so the memory one upload holds: 16 MiB parts take objects up to
	// 156 GiB in S3's 10,000 parts.
	DefaultPartSize = 16 << 20
	// MinPartSize is the smallest part S3 accepts (but for the last).
	MinPartSize = 5 << 20
	maxParts    = 10000
	// headSize is what an upload reads before it knows whether it is
	// small: bodies that end within it never take a whole part's memory.
	headSize = 256 << 10
	// checkTimeout bounds New's request to the bucket.
	checkTimeout = 15 * time.Second
)

// S3Config reaches an S3-compatible object store, in DearDiary.jl's terms:
// objects go to <bucket>/<aa>/<uuid> by path-style requests, and rows name
// them s3://<bucket>/<aa>/<uuid>.
type S3Config struct {
	// Endpoint is scheme://host[:port], such as http://localhost:9000 for
	// MinIO or versitygw. Empty means AWS: https://s3.<region>.amazonaws.com.
	Endpoint string
	// Region signs requests (DefaultRegion when empty).
	Region string
	// Bucket receives new objects; it must exist. Rows may name others on
	// the same endpoint, and are read from there.
	Bucket string
	// AccessKey and SecretKey sign requests; both empty sends them
	// unsigned.
	AccessKey, SecretKey string
	// PartSize is the size of the parts of large uploads (DefaultPartSize
	// when 0; at least MinPartSize), and so the memory each one holds.
	PartSize int64
	// MaxRetries is how many times a failed request is tried (0: the
	// client library's default of 10, with backoff; 1: no retry).
	MaxRetries int
}

// given reports whether any setting names a store; a region alone (which
// ddd always has) does not.
func (c S3Config) given() bool {
	return c.Endpoint != "" || c.Bucket != "" || c.AccessKey != "" || c.SecretKey != ""
}

type s3Backend struct {
	client   *minio.Core
	checker  *minio.Client // the same, without retries: New reports at once
	endpoint string        // for messages
	cfg      S3Config
	parts    sync.Pool // *[]byte of PartSize
}

func newS3(c S3Config) (*s3Backend, error) {
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	if c.PartSize == 0 {
		c.PartSize = DefaultPartSize
	}
	if c.PartSize < MinPartSize {
		return nil, core.Invalid("S3 part size %d is below the %d bytes S3 takes", c.PartSize, MinPartSize)
	}
	if c.Bucket != "" {
		if err := s3utils.CheckValidBucketName(c.Bucket); err != nil {
			return nil, core.Invalid("the S3 bucket name %q is not valid: %v (ddd: DEARDIARY_ARTIFACT_S3_BUCKET)", c.Bucket, err)
		}
	}
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = "https://s3." + c.Region + ".amazonaws.com"
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
		return nil, core.Invalid("S3 endpoint %q is not scheme://host[:port], such as http://localhost:9000 (ddd: DEARDIARY_ARTIFACT_S3_ENDPOINT)", c.Endpoint)
	}
	opts := &minio.Options{
		Creds:  credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure: u.Scheme == "https",
		Region: c.Region,
		// DearDiary.jl addresses objects path-style, and so do MinIO and
		// versitygw unless told a domain.
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   c.MaxRetries,
	}
	client, err := minio.NewCore(u.Host, opts)
	if err != nil {
		return nil, core.Invalid("S3 endpoint %q: %v", endpoint, err)
	}
	once := *opts
	once.MaxRetries = 1
	checker, err := minio.New(u.Host, &once)
	if err != nil {
		return nil, core.Invalid("S3 endpoint %q: %v", endpoint, err)
	}
	b := &s3Backend{client: client, checker: checker, endpoint: u.Scheme + "://" + u.Host, cfg: c}
	b.parts.New = func() any {
		buf := make([]byte, c.PartSize)
		return &buf
	}
	return b, nil
}

// check lists one key of the bucket: it needs the endpoint to answer, the
// keys to be right and the bucket to exist, and costs one request. An error
// says which of these failed and what to set.
func (b *s3Backend) check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	var err error
	for obj := range b.checker.ListObjects(ctx, b.cfg.Bucket, minio.ListObjectsOptions{MaxKeys: 1}) {
		err = obj.Err
		break
	}
	if err == nil {
		return nil
	}
	at := b.endpoint
	resp := minio.ToErrorResponse(err)
	var netErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case resp.Code == minio.NoSuchBucket:
		return core.Invalid("the S3 bucket %q does not exist at %s: create it, or name an existing one (ddd: DEARDIARY_ARTIFACT_S3_BUCKET)", b.cfg.Bucket, at)
	case resp.Code == "InvalidAccessKeyId", resp.Code == "XAdminUserNotFound": // the second is versitygw's
		return core.Invalid("S3 at %s does not know the access key %q: check it (ddd: DEARDIARY_ARTIFACT_S3_ACCESS_KEY)", at, b.cfg.AccessKey)
	case resp.Code == "SignatureDoesNotMatch":
		return core.Invalid("S3 at %s refused the secret key of access key %q: check it (ddd: DEARDIARY_ARTIFACT_S3_SECRET_KEY)", at, b.cfg.AccessKey)
	case resp.Code == "AuthorizationHeaderMalformed", resp.Code == "InvalidRegion":
		return core.Invalid("S3 at %s refused the region %q: use the bucket's region (ddd: DEARDIARY_ARTIFACT_S3_REGION)", at, b.cfg.Region)
	case (resp.Code == "AccessDenied" || resp.StatusCode == http.StatusForbidden) && b.cfg.AccessKey == "":
		return core.Invalid("S3 at %s denied unsigned requests the bucket %q: give an access key and a secret key (ddd: DEARDIARY_ARTIFACT_S3_ACCESS_KEY, _SECRET_KEY)", at, b.cfg.Bucket)
	case resp.Code == "AccessDenied", resp.StatusCode == http.StatusForbidden:
		return core.Invalid("S3 at %s denied access key %q the bucket %q: check the access and secret keys, and that they may list, read, write and delete in the bucket (ddd: DEARDIARY_ARTIFACT_S3_ACCESS_KEY, _SECRET_KEY)", at, b.cfg.AccessKey, b.cfg.Bucket)
	case errors.As(err, &dnsErr):
		return core.Invalid("cannot reach S3 at %s: %v; check the endpoint (ddd: DEARDIARY_ARTIFACT_S3_ENDPOINT)", at, dnsErr)
	case errors.As(err, &netErr):
		return core.Invalid("cannot reach S3 at %s: %v; check the endpoint and that the store is running (ddd: DEARDIARY_ARTIFACT_S3_ENDPOINT)", at, netErr)
	case errors.Is(err, context.DeadlineExceeded):
		return core.Invalid("S3 at %s did not answer within %v: check the endpoint and that the store is running (ddd: DEARDIARY_ARTIFACT_S3_ENDPOINT)", at, checkTimeout)
	case resp.Code != "":
		return core.Invalid("S3 at %s refused to list the bucket %q: %s (%s)", at, b.cfg.Bucket, resp.Message, resp.Code)
	}
	return core.Invalid("cannot use S3 at %s: %s", at, strings.ReplaceAll(err.Error(), "\n", " "))
}

// key is where new bytes go, as DearDiary.jl names them: a random UUID,
// under a directory of its first two characters.
func newS3Key() string {
	id := uuid.NewString()
	return id[:2] + "/" + id
}

// write sends a body that ends within one part in a single PUT, and a
// longer one as a multipart upload, one part at a time from one buffer.
// Each request carries the sha256 of its payload, which the store checks.
func (b *s3Backend) write(ctx context.Context, r io.Reader) (Written, error) {
	key := newS3Key()
	whole := sha256.New()
	head := make([]byte, min(headSize, b.cfg.PartSize))
	n, eof, err := fill(r, head)
	buf := head
	if err == nil && !eof {
		pooled := b.parts.Get().(*[]byte)
		defer b.parts.Put(pooled)
		buf = *pooled
		copy(buf, head[:n])
		var m int
		m, eof, err = fill(r, buf[n:])
		n += m
	}
	if err != nil {
		return Written{}, err
	}
	whole.Write(buf[:n])
	if eof {
		sum := hex.EncodeToString(whole.Sum(nil))
		if _, err := b.client.PutObject(ctx, b.cfg.Bucket, key, bytes.NewReader(buf[:n]), int64(n), "", sum,
			minio.PutObjectOptions{DisableContentSha256: true}); err != nil {
			return Written{}, fmt.Errorf("cannot store the resource data in S3 at %s/%s: %w", b.endpoint, b.cfg.Bucket, err)
		}
		return b.written(key, int64(n), sum), nil
	}
	size, err := b.multipart(ctx, key, r, buf, n, whole)
	if err != nil {
		return Written{}, err
	}
	return b.written(key, size, hex.EncodeToString(whole.Sum(nil))), nil
}

// multipart uploads buf[:n], a full part, and the rest of r after it.
func (b *s3Backend) multipart(ctx context.Context, key string, r io.Reader, buf []byte, n int, whole io.Writer) (size int64, err error) {
	id, err := b.client.NewMultipartUpload(ctx, b.cfg.Bucket, key, minio.PutObjectOptions{})
	if err != nil {
		return 0, fmt.Errorf("cannot store the resource data in S3 at %s/%s: %w", b.endpoint, b.cfg.Bucket, err)
	}
	defer func() {
		if err != nil {
			// Parts of an upload never completed would stay, unseen and
			// billed, in the bucket.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			_ = b.client.AbortMultipartUpload(ctx, b.cfg.Bucket, key, id)
			cancel()
		}
	}()
	var parts []minio.CompletePart
	eof := false
	for number := 1; n > 0; number++ {
		if number > maxParts {
			return 0, core.Invalid("the resource is larger than S3 takes in %d parts of %s: give a larger part size", maxParts, core.FormatBytes(b.cfg.PartSize))
		}
		sum := sha256.Sum256(buf[:n])
		part, err := b.client.PutObjectPart(ctx, b.cfg.Bucket, key, id, number, bytes.NewReader(buf[:n]), int64(n),
			minio.PutObjectPartOptions{Sha256Hex: hex.EncodeToString(sum[:]), DisableContentSha256: true})
		if err != nil {
			return 0, fmt.Errorf("cannot store part %d of the resource data in S3 at %s/%s: %w", number, b.endpoint, b.cfg.Bucket, err)
		}
		parts = append(parts, minio.CompletePart{PartNumber: number, ETag: part.ETag})
		size += int64(n)
		if eof {
			break
		}
		if n, eof, err = fill(r, buf); err != nil {
			return 0, err
		}
		whole.Write(buf[:n])
	}
	if _, err := b.client.CompleteMultipartUpload(ctx, b.cfg.Bucket, key, id, parts, minio.PutObjectOptions{}); err != nil {
		return 0, fmt.Errorf("cannot complete the upload of the resource data to S3 at %s/%s: %w", b.endpoint, b.cfg.Bucket, err)
	}
	return size, nil
}

func (b *s3Backend) written(key string, size int64, hash string) Written {
	return Written{Backend: core.BackendS3, URI: "s3://" + b.cfg.Bucket + "/" + key, Size: size, Hash: hash}
}

// fill reads r until buf is full or r ends, which eof reports. Errors of r
// come back as they are, so that callers can tell an upload that broke off
// or ran over a limit.
func fill(r io.Reader, buf []byte) (n int, eof bool, err error) {
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return n, true, nil
		}
		if err != nil {
			return n, false, fmt.Errorf("cannot read the resource data: %w", err)
		}
	}
	return n, false, nil
}

func (b *s3Backend) open(ctx context.Context, uri string) (io.ReadCloser, error) {
	bucket, key, err := s3Location(uri)
	if err != nil {
		return nil, err
	}
	body, _, _, err := b.client.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		switch minio.ToErrorResponse(err).Code {
		case minio.NoSuchKey, minio.NoSuchBucket:
			return nil, core.Errorf(core.ENotFound, "the bytes of this resource are gone: %s does not exist at %s", uri, b.endpoint)
		}
		return nil, fmt.Errorf("cannot read %s from S3 at %s: %w", uri, b.endpoint, err)
	}
	return body, nil
}

// remove deletes an object; one already gone is not an error.
func (b *s3Backend) remove(ctx context.Context, uri string) error {
	bucket, key, err := s3Location(uri)
	if err != nil {
		return err
	}
	err = b.client.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{})
	if resp := minio.ToErrorResponse(err); err != nil && resp.Code != minio.NoSuchKey && resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("cannot delete %s from S3 at %s: %w", uri, b.endpoint, err)
	}
	return nil
}

// s3Location splits s3://<bucket>/<key>.
func s3Location(uri string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	bucket, key, _ = strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", core.Invalid("resource uri %q is not an s3://bucket/key uri", uri)
	}
	return bucket, key, nil
}
