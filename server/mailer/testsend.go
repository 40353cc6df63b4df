package mailer

import (
	"context"
	netmail "net/mail"

	mail "github.com/wneessen/go-mail"

	"github.com/canvass-survey/canvass/survey/waves"
)

// SendTest sends one message outside every wave — a member of staff's
// test of a wave — through the same mail server and sender, on a
// connection of its own: no outbox entry, no case, no rate limit.
func (m *Mailer) SendTest(ctx context.Context, to netmail.Address, content waves.Message) error {
	msg, err := m.compose(to, content)
	if err != nil {
		return err
	}
	msg.SetMessageID()
	return m.client.DialAndSendWithContext(ctx, msg)
}

// compose is an email from the waves' sender to one address, in plain text
// with an HTML alternative.
func (m *Mailer) compose(to netmail.Address, content waves.Message) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return nil, err
	}
	if err := msg.AddToFormat(to.Name, to.Address); err != nil {
		return nil, err
	}
	msg.Subject(content.Subject)
	msg.SetDateWithValue(m.Now())
	msg.SetBodyString(mail.TypeTextPlain, content.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, content.HTML)
	return msg, nil
}
