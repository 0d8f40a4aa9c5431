package dev.paird.trust;

import dev.paird.api.Suite;
import dev.paird.io.AtomicFiles;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Fills a stopped paird's state directory with a trusted list of generated peers, for the hub
 * benchmark (packaging/bench-hub.sh): as many certificates as a fleet of devices would bring, made
 * in seconds rather than by thousands of pairings.
 *
 * <pre>java -cp daemon/target/test-classes:daemon/target/lib/* dev.paird.trust.HubFill STATE_DIR N
 * </pre>
 *
 * <p>Writes {@code trusted.json} in the format every paird since version 1 of the file reads, and
 * nothing else: paird derives its other files from it when it starts. The certificates are
 * self-signed P-256 ones named {@code CN=fleet-device-I}, all with one key (a real fleet has one
 * key a device; the list does not look at keys and one key keeps the filling fast).
 */
public final class HubFill {
  /** A private extension's OID (under the OID arc for examples) for padding certificates. */
  private static final ASN1ObjectIdentifier PADDING =
      new ASN1ObjectIdentifier("1.3.6.1.4.1.32473.1");

  private HubFill() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: HubFill STATE_DIR PEERS");
      System.exit(2);
    }
    Path stateDir = Files.createDirectories(Path.of(args[0]));
    int count = Integer.parseInt(args[1]);
    write(stateDir, peers(count, 0));
  }

  /**
   * Fills {@code stateDir} with peers whose certificates each carry an extension of {@code padding}
   * bytes, as many as leave at least {@code room} bytes below the largest {@code trusted.json}
   * paird reads ({@link TrustStore#MAX_FILE_BYTES}), and returns the bytes left: at least {@code
   * room}, fewer than {@code room} and one more such peer's record.
   */
  public static int fillLeaving(Path stateDir, int room, int padding) throws Exception {
    int limit = TrustStore.MAX_FILE_BYTES - room;
    int empty = TrustFiles.encodeJson(List.of()).length;
    int each = TrustFiles.encodeJson(peers(1, padding)).length - empty;
    List<TrustedPeer> peers = peers((limit - empty) / each + 2, padding);
    byte[] json = TrustFiles.encodeJson(peers);
    while (json.length > limit) {
      peers = peers.subList(0, peers.size() - 1);
      json = TrustFiles.encodeJson(peers);
    }
    write(Files.createDirectories(stateDir), peers);
    return TrustStore.MAX_FILE_BYTES - json.length;
  }

  private static void write(Path stateDir, List<TrustedPeer> peers) throws Exception {
    AtomicFiles.write(
        stateDir.resolve(TrustFiles.JSON_NAME), TrustFiles.encodeJson(peers), AtomicFiles.PRIVATE);
  }

  /** Peers 1 to {@code count}, with {@code padding} bytes of extension each if not 0. */
  private static List<TrustedPeer> peers(int count, int padding) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair keys = generator.generateKeyPair();
    Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(30, ChronoUnit.DAYS);
    // Signing takes nearly all the time: every core signs, each with a signer of its own.
    ThreadLocal<ContentSigner> signers =
        ThreadLocal.withInitial(
            () -> {
              try {
                return new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate());
              } catch (OperatorCreationException e) {
                throw new IllegalStateException(e);
              }
            });
    return IntStream.rangeClosed(1, count)
        .parallel()
        .mapToObj(i -> peer(i, keys, signers.get(), start, padding))
        .toList();
  }

  /**
   * Peer {@code i}: {@code CN=fleet-device-I}, serial I, paired I seconds after {@code start}; with
   * {@code padding} zero bytes in a private extension unless that is 0.
   */
  private static TrustedPeer peer(
      int i, KeyPair keys, ContentSigner signer, Instant start, int padding) {
    X500Name name = new X500Name("CN=fleet-device-" + i);
    try {
      JcaX509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              name,
              BigInteger.valueOf(i),
              Date.from(start.minus(1, ChronoUnit.DAYS)),
              Date.from(start.plus(3650, ChronoUnit.DAYS)),
              name,
              keys.getPublic());
      if (padding > 0) {
        builder.addExtension(PADDING, false, new DEROctetString(new byte[padding]));
      }
      X509Certificate certificate =
          new JcaX509CertificateConverter().getCertificate(builder.build(signer));
      return TrustedPeer.create(
          certificate,
          "10.1." + (i >> 8 & 0xff) + "." + (i & 0xff),
          Suite.SPAKE2,
          Optional.of("sensor " + i),
          start.plusSeconds(i));
    } catch (CertificateException | CertIOException e) {
      throw new IllegalStateException(e);
    }
  }
}
