// Command fakesmtp is a local SMTP server that keeps what it receives and shows it as JSON, for the
// browser tests and for trying email features without a mail provider:
//
//	fakesmtp -smtp 127.0.0.1:2525 -http 127.0.0.1:8025
//	SMTP_URL=smtp://127.0.0.1:2525 MAIL_FROM=chatbot@example.com PUBLIC_URL=http://127.0.0.1:8000 chatbot
//	curl http://127.0.0.1:8025/messages
package main

import (
	"flag"
	"log"
	"net/http"

	"github.com/chatbot-platform/chatbot/internal/mail/mailtest"
)

func main() {
	smtpAddr := flag.String("smtp", "127.0.0.1:2525", "SMTP listen address")
	httpAddr := flag.String("http", "127.0.0.1:8025", "HTTP listen address: GET /messages lists the mail received, DELETE /messages forgets it")
	flag.Parse()
	s, err := mailtest.Start(*smtpAddr)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	log.Printf("fakesmtp: SMTP on %s, messages at http://%s/messages", s.Addr, *httpAddr)
	log.Fatal(http.ListenAndServe(*httpAddr, s.Handler()))
}
