package token

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
)

// Sealer encrypts tokens for the store (AES-256-GCM), so reminder waves can
// put the personal link in a message again without the store holding it in
// the clear.
type Sealer struct{ aead cipher.AEAD }

// NewSealer returns a Sealer keyed by a key derived from secret.
func NewSealer(secret []byte) Sealer {
	block, err := aes.NewCipher(Derive(secret, "token-seal"))
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return Sealer{aead: aead}
}

// Seal encrypts a token.
func (s Sealer) Seal(tok string) string {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(tok), []byte("canvass token")))
}

// Open decrypts a sealed token.
func (s Sealer) Open(sealed string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("token: not a sealed token")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], []byte("canvass token"))
	if err != nil {
		return "", errors.New("token: sealed under another secret, or altered")
	}
	return string(plain), nil
}
