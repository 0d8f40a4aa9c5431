package dev.paird.identity;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.ECKey;
import java.security.interfaces.EdECKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.XECKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.NamedParameterSpec;

/**
 * The kinds of device key paird accepts: the ones BoringSSL, through netty-tcnative, can sign a TLS
 * 1.3 handshake with and that its peers' BoringSSL will verify.
 *
 * <p>BoringSSL's default signature algorithms, which netty-tcnative offers no way to change, are
 * ECDSA on P-256 and P-384 and RSA-PSS (plus PKCS#1, for TLS 1.2). Ed25519 and ECDSA on P-521 are
 * not among them: a handshake with such a key fails with NO_COMMON_SIGNATURE_ALGORITHMS, so paird
 * refuses those keys when it loads them rather than at the first pairing.
 */
enum KeyKind {
  EC_P256("SHA256withECDSA"),
  EC_P384("SHA384withECDSA"),
  RSA("SHA256withRSA");

  /** The smallest RSA modulus paird accepts, in bits. */
  static final int MIN_RSA_BITS = 2048;

  /** The keys paird accepts, for the message that refuses another. */
  static final String ACCEPTED =
      "paird accepts EC P-256 (recommended), EC P-384 and RSA keys of 2048 bits or more";

  private static final ECParameterSpec P256 = curve("secp256r1");
  private static final ECParameterSpec P384 = curve("secp384r1");

  private final String challengeSignature;

  KeyKind(String challengeSignature) {
    this.challengeSignature = challengeSignature;
  }

  /**
   * The kind of {@code key}.
   *
   * @throws InvalidKeyException if paird does not accept the key; the message says what the key is
   *     and why, worded to follow "it", as in "it is a 1024-bit RSA key; ..."
   */
  static KeyKind of(PrivateKey key) throws InvalidKeyException {
    if (key instanceof ECKey ec) {
      ECParameterSpec params = ec.getParams();
      if (sameCurve(params, P256)) {
        return EC_P256;
      }
      if (sameCurve(params, P384)) {
        return EC_P384;
      }
      throw new InvalidKeyException(
          "is an EC key on "
              + curveName(params)
              + "; BoringSSL, which paird uses for TLS, accepts ECDSA signatures on P-256 and P-384"
              + " only");
    }
    if (key instanceof RSAKey rsa && "RSA".equals(key.getAlgorithm())) {
      int bits = rsa.getModulus().bitLength();
      if (bits < MIN_RSA_BITS) {
        throw new InvalidKeyException(
            "is a " + bits + "-bit RSA key; RSA keys must have at least " + MIN_RSA_BITS + " bits");
      }
      return RSA;
    }
    if (key instanceof EdECKey ed && ed.getParams().getName().equals("Ed25519")) {
      throw new InvalidKeyException(
          "is an Ed25519 key; BoringSSL, which paird uses for TLS, does not offer Ed25519"
              + " signatures in its handshake (netty-tcnative cannot enable them), so no peer"
              + " could complete one");
    }
    if (key instanceof EdECKey ed) {
      throw new InvalidKeyException("is an " + ed.getParams().getName() + " key");
    }
    if (key instanceof XECKey xec && xec.getParams() instanceof NamedParameterSpec named) {
      throw new InvalidKeyException(
          "is an " + named.getName() + " key, which agrees on secrets but cannot sign");
    }
    throw new InvalidKeyException("is a key of type " + key.getAlgorithm());
  }

  /** How a person would name the key, e.g. "EC P-256" or "RSA 3072". */
  String describe(Key key) {
    return switch (this) {
      case EC_P256 -> "EC P-256";
      case EC_P384 -> "EC P-384";
      case RSA -> "RSA " + ((RSAKey) key).getModulus().bitLength();
    };
  }

  /**
   * Whether {@code publicKey} is the public half of {@code privateKey}: a signature over a random
   * challenge made with the private key verifies with the public key.
   *
   * @throws GeneralSecurityException if the private key cannot sign
   */
  boolean matches(PrivateKey privateKey, PublicKey publicKey) throws GeneralSecurityException {
    byte[] challenge = new byte[32];
    new SecureRandom().nextBytes(challenge);
    Signature signer = Signature.getInstance(challengeSignature);
    signer.initSign(privateKey);
    signer.update(challenge);
    byte[] signature = signer.sign();
    try {
      Signature verifier = Signature.getInstance(challengeSignature);
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (InvalidKeyException | SignatureException e) {
      // A public key of another type or curve, or a signature it cannot even parse.
      return false;
    }
  }

  private static boolean sameCurve(ECParameterSpec a, ECParameterSpec b) {
    return a.getCurve().equals(b.getCurve())
        && a.getGenerator().equals(b.getGenerator())
        && a.getOrder().equals(b.getOrder())
        && a.getCofactor() == b.getCofactor();
  }

  private static String curveName(ECParameterSpec params) {
    // The JDK's named curves print as "secp256k1 (1.3.132.0.10)"; explicit parameters as pages.
    String name = params.toString();
    if (name.length() <= 80 && !name.contains("\n")) {
      return name;
    }
    return "a "
        + params.getCurve().getField().getFieldSize()
        + "-bit curve given by explicit parameters";
  }

  private static ECParameterSpec curve(String name) {
    try {
      AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
      parameters.init(new ECGenParameterSpec(name));
      return parameters.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java platform has " + name, e);
    }
  }
}
