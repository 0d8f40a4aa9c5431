// Command recipe is the Go recipe of docs/INTEGRATION.md as a program, for GoTlsRecipeTest:
//
//	recipe server STATE_DIR ADDRESS       greets the paired devices that connect to ADDRESS
//	recipe client STATE_DIR ADDRESS NAME  prints the greeting of the paired device NAME at ADDRESS
//
// STATE_DIR stands for /var/lib/paird. It uses the standard library only.
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) < 4 {
		exitOn(errors.New("usage: recipe server STATE_DIR ADDRESS | client STATE_DIR ADDRESS NAME"))
	}
	cert, roots, err := load(os.Args[2])
	if err != nil {
		exitOn(err)
	}
	switch {
	case os.Args[1] == "server":
		exitOn(serve(os.Args[3], &tls.Config{
			Certificates:     []tls.Certificate{cert},
			ClientCAs:        roots,
			ClientAuth:       tls.RequireAndVerifyClientCert,
			VerifyConnection: onlyListed,
			MinVersion:       tls.VersionTLS13,
		}))
	case os.Args[1] == "client" && len(os.Args) == 5:
		exitOn(greeting(os.Args[3], &tls.Config{
			Certificates:     []tls.Certificate{cert},
			RootCAs:          roots,
			ServerName:       os.Args[4],
			VerifyConnection: onlyListed,
			MinVersion:       tls.VersionTLS13,
		}))
	default:
		exitOn(errors.New("usage: recipe server STATE_DIR ADDRESS | client STATE_DIR ADDRESS NAME"))
	}
}

// load reads the device's identity and the trusted list, the latter once: a program that must
// follow changes reads it again.
func load(stateDir string) (tls.Certificate, *x509.CertPool, error) {
	cert, err := tls.LoadX509KeyPair(
		filepath.Join(stateDir, "identity", "cert.pem"),
		filepath.Join(stateDir, "identity", "key.pem"))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pem, err := os.ReadFile(filepath.Join(stateDir, "trusted.pem"))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	roots := x509.NewCertPool()
	// The "# FINGERPRINT SUBJECT" lines between the blocks are skipped; an empty list adds
	// nothing, and then no peer is accepted.
	roots.AppendCertsFromPEM(pem)
	return cert, roots, nil
}

// onlyListed accepts a peer only when its certificate is itself on the trusted list: Go would
// also accept a certificate that a listed one had signed, and has no depth limit to say so.
func onlyListed(state tls.ConnectionState) error {
	for _, chain := range state.VerifiedChains {
		if len(chain) == 1 {
			return nil
		}
	}
	return errors.New("the peer's certificate is not itself trusted")
}

func serve(address string, config *tls.Config) error {
	listener, err := tls.Listen("tcp", address, config)
	if err != nil {
		return err
	}
	for {
		conn, err := listener.Accept()
		if err != nil {
			return err
		}
		go greet(conn.(*tls.Conn))
	}
}

func greet(conn *tls.Conn) {
	defer conn.Close()
	// The handshake first: with TLS 1.3 the client's certificate is checked only after the
	// client has finished its part, and nothing is written to a refused client.
	if err := conn.Handshake(); err != nil {
		fmt.Fprintln(os.Stderr, "refused:", err)
		return
	}
	fmt.Fprintln(conn, "hello from go")
}

func greeting(address string, config *tls.Config) error {
	conn, err := tls.Dial("tcp", address, config)
	if err != nil {
		return err
	}
	defer conn.Close()
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	fmt.Print(line)
	return nil
}

// exitOn ends the program with err, if there is one.
func exitOn(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
