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
import org.bouncycastle.asn1.x500.X500Name;
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
  private HubFill() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: HubFill STATE_DIR PEERS");
      System.exit(2);
    }
    Path stateDir = Files.createDirectories(Path.of(args[0]));
    int count = Integer.parseInt(args[1]);
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
    List<TrustedPeer> peers =
        IntStream.rangeClosed(1, count)
            .parallel()
            .mapToObj(i -> peer(i, keys, signers.get(), start))
            .toList();
    AtomicFiles.write(
        stateDir.resolve(TrustFiles.JSON_NAME), TrustFiles.encodeJson(peers), AtomicFiles.PRIVATE);
  }

  /** Peer {@code i}: {@code CN=fleet-device-I}, serial I, paired I seconds after {@code start}. */
  private static TrustedPeer peer(int i, KeyPair keys, ContentSigner signer, Instant start) {
    X500Name name = new X500Name("CN=fleet-device-" + i);
    try {
      X509Certificate certificate =
          new JcaX509CertificateConverter()
              .getCertificate(
                  new JcaX509v3CertificateBuilder(
                          name,
                          BigInteger.valueOf(i),
                          Date.from(start.minus(1, ChronoUnit.DAYS)),
                          Date.from(start.plus(3650, ChronoUnit.DAYS)),
                          name,
                          keys.getPublic())
                      .build(signer));
      return TrustedPeer.create(
          certificate,
          "10.1." + (i >> 8 & 0xff) + "." + (i & 0xff),
          Suite.SPAKE2,
          Optional.of("sensor " + i),
          start.plusSeconds(i));
    } catch (CertificateException e) {
      throw new IllegalStateException(e);
    }
  }
}
