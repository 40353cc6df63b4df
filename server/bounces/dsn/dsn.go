// Package dsn reads delivery-status notifications (RFC 3464): the reports a
// mail server sends back when a message it accepted could not be
// delivered, or is delayed. It reads one message and says what it reports
// and of which message; deciding what that means for a case is its
// caller's.
package dsn

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// Report is what one notification says.
type Report struct {
	// Recipients has one entry per recipient the report covers.
	Recipients []Recipient
	// MessageID is the Message-ID of the message reported on, without
	// angle brackets, from the headers the report returns; "" when it
	// returns none.
	MessageID string
	// To lists the addresses the notification was delivered to (To,
	// Delivered-To, X-Original-To, Envelope-To): the original message's
	// envelope sender, which names the message where it was a VERP address.
	To []string
	// Date is when the notification was written, zero when it does not say.
	Date time.Time
}

// Recipient is one per-recipient block of a report.
type Recipient struct {
	Address    string // Final-Recipient, without its address type
	Action     string // failed, delayed, delivered, relayed or expanded, lower-cased
	Status     string // the enhanced status code, e.g. 5.1.1
	Diagnostic string // Diagnostic-Code, without its type, e.g. "550 5.1.1 user unknown"
}

// Outcome is what a report means for the message it reports on.
type Outcome string

const (
	Bounced Outcome = "bounced" // failed for good (5.x.x): the address does not work
	Failed  Outcome = "failed"  // the server gave up after delays (failed with 4.x.x): the address may work
	Delayed Outcome = "delayed" // still trying (4.x.x)
	None    Outcome = ""        // delivered, relayed or expanded: nothing went wrong
)

// Outcome is the worst outcome among the report's recipients, and its
// recipient's explanation.
func (r *Report) Outcome() (Outcome, string) {
	worst, why := None, ""
	rank := map[Outcome]int{None: 0, Delayed: 1, Failed: 2, Bounced: 3}
	for _, rc := range r.Recipients {
		o := None
		switch {
		case rc.Action == "failed" && strings.HasPrefix(rc.Status, "5"):
			o = Bounced
		case rc.Action == "failed":
			o = Failed
		case rc.Action == "delayed":
			o = Delayed
		}
		if rank[o] > rank[worst] {
			worst, why = o, strings.TrimSpace(rc.Status+" "+rc.Diagnostic)
		}
	}
	return worst, why
}

// ErrNotDSN says the message is not a delivery-status notification: an
// auto-reply, or anything else that reached the bounce mailbox.
var ErrNotDSN = errors.New("not a delivery-status notification")

// maxPart bounds what is read of each part: a report is a few kilobytes,
// and the original message it may return is not read beyond its headers.
const maxPart = 1 << 20

// Parse reads one message. A message that is not a multipart/report with
// report-type delivery-status, or has no per-recipient block, is ErrNotDSN.
func Parse(r io.Reader) (*Report, error) {
	msg, err := mail.ReadMessage(bufio.NewReader(r))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotDSN, err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || !strings.EqualFold(params["report-type"], "delivery-status") || params["boundary"] == "" {
		return nil, ErrNotDSN
	}
	rep := &Report{}
	if d, err := msg.Header.Date(); err == nil {
		rep.Date = d
	}
	for _, h := range []string{"To", "Delivered-To", "X-Original-To", "Envelope-To"} {
		for _, v := range msg.Header[textproto.CanonicalMIMEHeaderKey(h)] {
			if list, err := mail.ParseAddressList(v); err == nil {
				for _, a := range list {
					rep.To = append(rep.To, a.Address)
				}
			} else if a := strings.Trim(strings.TrimSpace(v), "<>"); a != "" {
				rep.To = append(rep.To, a)
			}
		}
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := parts.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if len(rep.Recipients) > 0 {
				break // a truncated original message after the report
			}
			return nil, fmt.Errorf("%w: %v", ErrNotDSN, err)
		}
		body := decoded(p)
		switch pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); pt {
		case "message/delivery-status", "message/global-delivery-status":
			rep.Recipients = recipients(body)
		case "text/rfc822-headers", "message/rfc822", "message/global", "message/global-headers":
			if h, err := textproto.NewReader(bufio.NewReader(body)).ReadMIMEHeader(); err == nil || len(h) > 0 {
				rep.MessageID = strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>")
			}
		}
	}
	if len(rep.Recipients) == 0 {
		return nil, fmt.Errorf("%w: no per-recipient fields", ErrNotDSN)
	}
	return rep, nil
}

// decoded is a part's body, bounded, base64 decoded where the part says
// so (multipart decodes quoted-printable itself; the decoder skips line
// ends).
func decoded(p *multipart.Part) io.Reader {
	var r io.Reader = io.LimitReader(p, maxPart)
	if strings.EqualFold(strings.TrimSpace(p.Header.Get("Content-Transfer-Encoding")), "base64") {
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	return r
}

// recipients reads a message/delivery-status body: a block of
// per-message fields, then one block per recipient, separated by blank
// lines, each field "Name: type; value" or "Name: value".
func recipients(body io.Reader) []Recipient {
	tp := textproto.NewReader(bufio.NewReader(body))
	var out []Recipient
	for block := 0; block < 1000; block++ {
		h, err := tp.ReadMIMEHeader()
		if len(h) > 0 && (h.Get("Final-Recipient") != "" || h.Get("Action") != "") {
			out = append(out, Recipient{
				Address:    typed(h.Get("Final-Recipient")),
				Action:     strings.ToLower(strings.TrimSpace(h.Get("Action"))),
				Status:     firstWord(h.Get("Status")),
				Diagnostic: typed(h.Get("Diagnostic-Code")),
			})
		}
		if err != nil {
			break
		}
	}
	return out
}

// typed drops the type before the first ';' of a field such as
// "rfc822; dana@example.org" or "smtp; 550 5.1.1 unknown".
func typed(v string) string {
	if _, after, ok := strings.Cut(v, ";"); ok {
		v = after
	}
	return strings.TrimSpace(v)
}

func firstWord(v string) string {
	if f := strings.Fields(v); len(f) > 0 {
		return f[0]
	}
	return ""
}
