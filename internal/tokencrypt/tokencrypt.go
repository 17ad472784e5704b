// Package tokencrypt is Mailbridge's token vault: it encrypts OAuth tokens
// for storage with AES-256-GCM under a key ring (QUALITY.md §7.4).
//
// A stored value reads "v1:<kid>:<base64url(nonce ‖ ciphertext ‖ tag)>". The
// key id names the ring key that encrypted it, so keys can rotate: the
// primary key encrypts, every key decrypts. The associated data is the
// value's place (table, column, organization, row), length-prefixed, so a
// ciphertext copied into another row or column does not decrypt.
//
// The ring never prints its keys, and errors never carry plaintext.
package tokencrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// KeySize is the length of every key: AES-256.
const KeySize = 32

// prefix marks the format version of stored values. The database's CHECK
// constraints refuse token columns that do not start with it.
const prefix = "v1:"

// ErrDecrypt is returned for any value that does not decrypt: tampered,
// moved to another row, or encrypted under a key the ring does not hold.
var ErrDecrypt = errors.New("tokencrypt: value does not decrypt")

var kidPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,16}$`)

// Ring is a set of keys by id; Primary encrypts.
type Ring struct {
	primary string
	aeads   map[string]cipher.AEAD
	order   []string
}

// NewRing builds a ring from raw keys; primary must be one of them.
func NewRing(primary string, keys map[string][]byte) (*Ring, error) {
	r := &Ring{primary: primary, aeads: map[string]cipher.AEAD{}}
	for kid, k := range keys {
		if !kidPattern.MatchString(kid) {
			return nil, fmt.Errorf("key id %q: use 1–16 letters, digits, - or _", kid)
		}
		if len(k) != KeySize {
			return nil, fmt.Errorf("key %q is %d bytes; it must be %d random bytes (generate one with: openssl rand -base64 32)", kid, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", kid, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", kid, err)
		}
		r.aeads[kid] = aead
		r.order = append(r.order, kid)
	}
	slices.Sort(r.order)
	if _, ok := r.aeads[primary]; !ok {
		return nil, fmt.Errorf("the primary key %q is not in the ring", primary)
	}
	return r, nil
}

// ParseRing reads the MAILBRIDGE_TOKEN_KEY format: comma-separated
// "<kid>:<base64 of 32 bytes>" entries, the first being primary (it
// encrypts; the others only decrypt, for rotation). A single bare base64 key
// gets the id "k1".
func ParseRing(spec string) (*Ring, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, errors.New("no key given; generate one with: echo \"k1:$(openssl rand -base64 32)\"")
	}
	keys := map[string][]byte{}
	primary := ""
	for i, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		kid, b64, ok := strings.Cut(entry, ":")
		if !ok {
			if i > 0 {
				return nil, fmt.Errorf("entry %d has no key id; write <kid>:<base64 key>", i+1)
			}
			kid, b64 = "k1", entry
		}
		k, err := decodeKey(b64)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", kid, err)
		}
		if _, dup := keys[kid]; dup {
			return nil, fmt.Errorf("key id %q appears twice", kid)
		}
		keys[kid] = k
		if i == 0 {
			primary = kid
		}
	}
	return NewRing(primary, keys)
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64; generate one with: openssl rand -base64 32")
}

// GenerateKey returns a new random key spec entry "<kid>:<base64>".
func GenerateKey(kid string) (string, error) {
	if !kidPattern.MatchString(kid) {
		return "", fmt.Errorf("key id %q: use 1–16 letters, digits, - or _", kid)
	}
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return "", err
	}
	return kid + ":" + base64.StdEncoding.EncodeToString(k), nil
}

// Primary is the id of the key that encrypts.
func (r *Ring) Primary() string { return r.primary }

// KeyIDs lists the ring's key ids, sorted.
func (r *Ring) KeyIDs() []string { return slices.Clone(r.order) }

// String never shows key material.
func (r *Ring) String() string {
	return fmt.Sprintf("tokencrypt.Ring(primary=%s, keys=%s)", r.primary, strings.Join(r.order, ","))
}

// LogValue keeps keys out of structured logs.
func (r *Ring) LogValue() slog.Value { return slog.StringValue(r.String()) }

// Place is where a value is stored; it becomes the associated data.
type Place struct {
	Table  string // e.g. "microsoft_accounts"
	Column string // e.g. "refresh_token"
	OrgID  int
	RowID  int
}

func (p Place) aad() []byte {
	var b []byte
	for _, s := range []string{p.Table, p.Column, strconv.Itoa(p.OrgID), strconv.Itoa(p.RowID)} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

// Encrypt seals plaintext for place under the primary key.
func (r *Ring) Encrypt(plaintext string, place Place) (string, error) {
	aead := r.aeads[r.primary]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("tokencrypt: nonce: %w", err)
	}
	sealed := aead.Seal(nonce, nonce, []byte(plaintext), place.aad())
	return prefix + r.primary + ":" + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Decrypt opens a stored value for place. Every failure is ErrDecrypt
// (wrapped with the key id, never with data).
func (r *Ring) Decrypt(stored string, place Place) (string, error) {
	kid, sealed, err := split(stored)
	if err != nil {
		return "", err
	}
	aead, ok := r.aeads[kid]
	if !ok {
		return "", fmt.Errorf("%w: key %q is not in the ring (add it back to MAILBRIDGE_TOKEN_KEY)", ErrDecrypt, kid)
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return "", ErrDecrypt
	}
	n := aead.NonceSize()
	pt, err := aead.Open(nil, sealed[:n], sealed[n:], place.aad())
	if err != nil {
		return "", fmt.Errorf("%w (key %q)", ErrDecrypt, kid)
	}
	return string(pt), nil
}

// KeyID returns the id of the key a stored value was encrypted with.
func KeyID(stored string) (string, error) {
	kid, _, err := split(stored)
	return kid, err
}

// NeedsRotation reports whether a stored value is under a key other than
// the primary (so `mailbridge keys rotate` re-encrypts it).
func (r *Ring) NeedsRotation(stored string) bool {
	kid, err := KeyID(stored)
	return err != nil || kid != r.primary
}

func split(stored string) (string, []byte, error) {
	rest, ok := strings.CutPrefix(stored, prefix)
	if !ok {
		return "", nil, fmt.Errorf("%w: not in the v1 format", ErrDecrypt)
	}
	kid, b64, ok := strings.Cut(rest, ":")
	if !ok || !kidPattern.MatchString(kid) {
		return "", nil, fmt.Errorf("%w: malformed", ErrDecrypt)
	}
	sealed, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil {
		return "", nil, fmt.Errorf("%w: malformed", ErrDecrypt)
	}
	return kid, sealed, nil
}
