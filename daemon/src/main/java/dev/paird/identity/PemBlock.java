package dev.paird.identity;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/** One block of a PEM file, as paird sees it: something it can use, or what it is instead. */
sealed interface PemBlock {

  /** What the block is, for an error message, e.g. "a private key". */
  String description();

  /** A parsed X.509 certificate. */
  record Certificate(X509Certificate certificate) implements PemBlock {
    @Override
    public String description() {
      return "a certificate";
    }
  }

  /** An unencrypted private key, PKCS#8 or a traditional OpenSSL form. */
  record Key(PrivateKey key) implements PemBlock {
    @Override
    public String description() {
      return "a private key";
    }

    @Override
    public String toString() {
      return "Key[" + key.getAlgorithm() + ", redacted]";
    }
  }

  /** A private key encrypted under a passphrase, which paird cannot ask for. */
  record EncryptedKey() implements PemBlock {
    @Override
    public String description() {
      return "an encrypted private key";
    }
  }

  /** Anything else: a public key, a certificate request, a CRL... */
  record Other(String description) implements PemBlock {}
}
