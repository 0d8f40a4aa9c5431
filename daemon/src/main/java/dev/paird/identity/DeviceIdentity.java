package dev.paird.identity;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.io.AtomicFiles;
import dev.paird.io.LocalFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The device's TLS identity: the certificate its peers pin by fingerprint, and the private key that
 * proves it holds that certificate. Immutable.
 *
 * <p>Guarantees, for every instance: the key is of a kind paird can use in a TLS 1.3 handshake with
 * BoringSSL (EC P-256, EC P-384, RSA of at least 2048 bits; see {@link KeyKind} for why not Ed25519
 * or P-521), and the key is the private half of the certificate's public key.
 *
 * <p>Does not guarantee that the certificate is self-signed, unexpired, or names this host. Peers
 * trust it by its fingerprint alone, so none of that changes what it proves; and a certificate
 * cannot be renewed without changing its fingerprint, so an expired one is accepted.
 *
 * <p>A daemon uses exactly one of the two ways in: {@link #load} when both a certificate and a key
 * are configured, {@link #loadOrGenerate} when neither is. There is deliberately no way in with
 * only one of them.
 */
public final class DeviceIdentity {
  /** The smallest RSA modulus paird accepts, in bits: for its own key, and for a peer's. */
  public static final int MIN_RSA_BITS = KeyKind.MIN_RSA_BITS;

  /** The directory under the state directory that holds a generated identity. */
  static final String DIRECTORY = "identity";

  /** Where a new identity is written before one rename makes it {@link #DIRECTORY}. */
  static final String STAGING = "identity.new";

  /** The generated certificate, mode 0644. */
  static final String CERT_FILE = "cert.pem";

  /** The generated private key, mode 0600 from the moment it exists. */
  static final String KEY_FILE = "key.pem";

  static final Set<PosixFilePermission> DIRECTORY_PERMISSIONS =
      PosixFilePermissions.fromString("rwx------");

  /** RFC 5280's upper bound on a common name. */
  static final int MAX_COMMON_NAME_LENGTH = 64;

  /** The certificate is valid from a day before it was made, for peers with slow clocks. */
  static final Duration BACKDATE = Duration.ofDays(1);

  /** Peers pin the certificate, so it need never expire; a century is "never" to TLS stacks. */
  static final int VALIDITY_YEARS = 100;

  private static final String NEW_IDENTITY_HINT =
      "create a new identity with `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256"
          + " -nodes -keyout key.pem -out cert.pem -subj /CN=NAME -days 36500`, or remove the"
          + " certificate and key settings to let paird generate one (peers must then pair again)";

  private final X509Certificate certificate;
  private final PrivateKey privateKey;
  private final String fingerprint;
  private final String subject;
  private final String keyType;

  private DeviceIdentity(X509Certificate certificate, PrivateKey privateKey, String keyType) {
    this.certificate = certificate;
    this.privateKey = privateKey;
    this.fingerprint = Certificates.fingerprint(certificate);
    this.subject = Certificates.subject(certificate);
    this.keyType = keyType;
  }

  /**
   * The identity in a configured certificate file and key file, both PEM.
   *
   * <p>The certificate file must hold exactly one certificate and nothing else. The key file must
   * hold exactly one unencrypted private key, PKCS#8 ({@code PRIVATE KEY}) or traditional ({@code
   * EC PRIVATE KEY}, {@code RSA PRIVATE KEY}), and nothing else.
   *
   * @throws PairdException with {@link ErrorCode#IDENTITY_INVALID} and a message naming the file,
   *     what is wrong with it and what to do
   */
  public static DeviceIdentity load(Path certPem, Path keyPem) throws PairdException {
    return load(certPem, keyPem, new LinkOption[0]);
  }

  /**
   * The certificate in a configured certificate file, checked as {@link #load(Path, Path)} checks
   * it. With {@link #withKey} it makes {@link #load(Path, Path)} in two steps, so that a caller can
   * tell which of the two files an error concerns even when they are the same file.
   *
   * @throws PairdException with {@link ErrorCode#IDENTITY_INVALID} and a message naming the file
   */
  public static X509Certificate readCertificate(Path certPem) throws PairdException {
    return PemFiles.readCertificate(certPem);
  }

  /**
   * The identity of {@code certificate}, read from {@code certPem} by {@link #readCertificate}, and
   * the private key in {@code keyPem}, checked as {@link #load(Path, Path)} checks it: every error
   * concerns the key file.
   *
   * @throws PairdException with {@link ErrorCode#IDENTITY_INVALID} and a message naming the key
   *     file
   */
  public static DeviceIdentity withKey(X509Certificate certificate, Path certPem, Path keyPem)
      throws PairdException {
    return withKey(certificate, certPem, keyPem, new LinkOption[0]);
  }

  /** As {@link #load(Path, Path)}; {@code links} as for {@link PemFiles#readCertificate}. */
  private static DeviceIdentity load(Path certPem, Path keyPem, LinkOption... links)
      throws PairdException {
    return withKey(PemFiles.readCertificate(certPem, links), certPem, keyPem, links);
  }

  private static DeviceIdentity withKey(
      X509Certificate certificate, Path certPem, Path keyPem, LinkOption... links)
      throws PairdException {
    Objects.requireNonNull(certificate, "certificate");
    PrivateKey key = PemFiles.readPrivateKey(keyPem, links);
    KeyKind kind;
    try {
      kind = KeyKind.of(key);
    } catch (InvalidKeyException e) {
      throw invalid(
          "cannot use the private key in "
              + keyPem
              + ": it "
              + e.getMessage()
              + ". "
              + KeyKind.ACCEPTED
              + "; "
              + NEW_IDENTITY_HINT);
    }
    boolean matches;
    try {
      matches = kind.matches(key, certificate.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new PairdException(
          ErrorCode.IDENTITY_INVALID,
          "cannot sign with the private key in " + keyPem + ": " + e.getMessage(),
          e);
    }
    if (!matches) {
      throw invalid(
          "the private key in "
              + keyPem
              + " does not match the certificate in "
              + certPem
              + " (its public key differs); configure the key that was generated with this"
              + " certificate");
    }
    return new DeviceIdentity(certificate, key, kind.describe(key));
  }

  /**
   * The identity in {@code stateDir/identity/}: loaded from {@code cert.pem} and {@code key.pem} if
   * both exist, checked as {@link #load} checks them; generated there if neither does.
   *
   * <p>A generated identity is an EC P-256 key and a self-signed certificate for it with subject
   * {@code CN=commonName} and the host's names as subjectAltNames ({@link HostNames}), valid from a
   * day before {@code clock}'s now for 100 years. Both files are written and flushed into a new
   * directory {@code identity.new/}, mode 0700 (the key 0600 from its creation, the certificate
   * 0644), which one rename then makes {@code identity/}: a crash leaves either no identity, and an
   * {@code identity.new/} that the next call removes before it generates one, or the whole of it.
   * Later calls load the same identity, with the same fingerprint.
   *
   * <p>If only one of the two files exists this refuses, and never writes: the other half of the
   * identity may be all that is left of a device its peers already trust.
   *
   * @throws PairdException with {@link ErrorCode#IDENTITY_INVALID} if the existing identity is
   *     unusable or incomplete, the common name is too long for a certificate, or the new identity
   *     cannot be written
   */
  public static DeviceIdentity loadOrGenerate(
      Path stateDir, String commonName, SecureRandom random, Clock clock) throws PairdException {
    return loadOrGenerate(stateDir, commonName, List.of(), random, clock);
  }

  /**
   * {@link #loadOrGenerate(Path, String, SecureRandom, Clock)}, where a generated certificate also
   * names {@code addressLiterals} (IP addresses the device is known by, such as a configured listen
   * address) as subjectAltNames beside the host names ({@link HostNames}). An identity that exists
   * is loaded as it is, whatever names it has.
   */
  public static DeviceIdentity loadOrGenerate(
      Path stateDir,
      String commonName,
      List<String> addressLiterals,
      SecureRandom random,
      Clock clock)
      throws PairdException {
    Objects.requireNonNull(addressLiterals, "addressLiterals");
    Objects.requireNonNull(random, "random");
    Objects.requireNonNull(clock, "clock");
    Path directory = stateDir.resolve(DIRECTORY);
    Path certPem = directory.resolve(CERT_FILE);
    Path keyPem = directory.resolve(KEY_FILE);
    if (Files.isSymbolicLink(directory)) {
      // Before anything reads or deletes through it: a link to a directory holding both files
      // would otherwise be loaded as if it were paird's own.
      throw invalid(
          directory
              + " is a symbolic link; paird does not follow links among the files it keeps for"
              + " itself. To use a key and certificate kept elsewhere, configure them as cert and"
              + " key instead");
    }
    if (Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
      try {
        // Whoever else may write here may put a key of their own in its place.
        LocalFiles.checkPrivateDirectory(directory);
      } catch (LocalFiles.UnsafeFileException e) {
        throw new PairdException(
            ErrorCode.IDENTITY_INVALID, directory + " is unusable: " + e.getReason(), e);
      } catch (IOException e) {
        throw new PairdException(
            ErrorCode.IDENTITY_INVALID,
            "cannot check " + directory + ": " + PemFiles.describe(e),
            e);
      }
    }
    try {
      AtomicFiles.removeLeftovers(keyPem);
      AtomicFiles.removeLeftovers(certPem);
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.IDENTITY_INVALID,
          "cannot remove temporary files a crash left in "
              + directory
              + ": "
              + PemFiles.describe(e),
          e);
    }
    boolean haveCert = Files.exists(certPem, LinkOption.NOFOLLOW_LINKS);
    boolean haveKey = Files.exists(keyPem, LinkOption.NOFOLLOW_LINKS);
    for (Path file : List.of(certPem, keyPem)) {
      if (Files.isSymbolicLink(file)) {
        throw invalid(
            file
                + " is a symbolic link; paird does not follow links among the files"
                + " it keeps for itself. To use a key and certificate kept elsewhere, configure them"
                + " as cert and key instead");
      }
    }
    if (haveCert && haveKey) {
      // Opened without following links too: one put in place after the check above fails.
      return load(certPem, keyPem, LinkOption.NOFOLLOW_LINKS);
    }
    if (haveCert || haveKey) {
      Path present = haveCert ? certPem : keyPem;
      Path missing = haveCert ? keyPem : certPem;
      throw invalid(
          present
              + " exists but "
              + missing
              + " does not. paird never replaces half an identity: the other half may be all"
              + " that is left of a certificate peers already trust. Restore "
              + missing
              + " from a backup; or, if this device should get a new identity (peers must then"
              + " pair again), move "
              + present
              + " away and restart paird");
    }
    return generate(stateDir, commonName, addressLiterals, random, clock);
  }

  /** Refuses an {@code identity} that the staging directory's rename could not replace. */
  private static void requireReplaceable(Path directory) throws IOException {
    if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.isSymbolicLink(directory)) {
      throw new FileSystemException(
          directory.toString(),
          null,
          "it is a symbolic link, and paird does not follow links among the files it keeps for"
              + " itself; to use a key and certificate kept elsewhere, configure them as cert and"
              + " key instead");
    }
    if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileSystemException(directory.toString(), null, "not a directory");
    }
    try (var entries = Files.newDirectoryStream(directory)) {
      if (entries.iterator().hasNext()) {
        throw new FileSystemException(
            directory.toString(),
            null,
            "it holds files other than " + CERT_FILE + " and " + KEY_FILE + "; move them away");
      }
    }
  }

  /**
   * Removes what a generation that crashed before its rename left: {@code identity.new/} and
   * everything in it, deleting links themselves, never what they point to.
   */
  private static void removeStaging(Path staging) throws IOException {
    if (!Files.exists(staging, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    // walkFileTree does not follow links unless told to: a link is visited as a file.
    Files.walkFileTree(
        staging,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attributes)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException failure)
              throws IOException {
            if (failure != null) {
              throw failure;
            }
            Files.delete(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private static DeviceIdentity generate(
      Path stateDir,
      String commonName,
      List<String> addressLiterals,
      SecureRandom random,
      Clock clock)
      throws PairdException {
    if (commonName == null || commonName.isBlank()) {
      throw new IllegalArgumentException("common name must not be blank");
    }
    if (commonName.length() > MAX_COMMON_NAME_LENGTH) {
      throw invalid(
          "cannot generate a certificate for the device name \""
              + commonName
              + "\": a certificate's common name holds at most "
              + MAX_COMMON_NAME_LENGTH
              + " characters, and this one has "
              + commonName.length()
              + "; configure a shorter device name");
    }
    X509Certificate certificate;
    KeyPair keyPair;
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), random);
      keyPair = generator.generateKeyPair();
      Instant now = clock.instant();
      Instant notAfter = now.atOffset(ZoneOffset.UTC).plusYears(VALIDITY_YEARS).toInstant();
      certificate =
          SelfSignedCertificates.create(
              keyPair,
              commonName,
              HostNames.of(commonName, addressLiterals),
              now.minus(BACKDATE),
              notAfter,
              random);
    } catch (GeneralSecurityException e) {
      throw new PairdException(
          ErrorCode.IDENTITY_INVALID, "cannot generate a device identity: " + e.getMessage(), e);
    }
    byte[] keyDer = keyPair.getPrivate().getEncoded();
    byte[] keyBytes = Certificates.pem("PRIVATE KEY", keyDer);
    Path directory = stateDir.resolve(DIRECTORY);
    Path staging = stateDir.resolve(STAGING);
    try {
      removeStaging(staging);
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.IDENTITY_INVALID,
          "cannot remove "
              + staging
              + ", which a first start that did not finish left: "
              + PemFiles.describe(e)
              + "; remove it, and paird will generate the identity again",
          e);
    }
    try {
      try {
        requireReplaceable(directory);
      } catch (IOException e) {
        throw new PairdException(
            ErrorCode.IDENTITY_INVALID,
            "cannot write the new device identity to " + directory + ": " + PemFiles.describe(e),
            e);
      }
      try {
        AtomicFiles.createDirectory(staging, DIRECTORY_PERMISSIONS);
        AtomicFiles.write(staging.resolve(KEY_FILE), keyBytes, AtomicFiles.PRIVATE);
        AtomicFiles.write(
            staging.resolve(CERT_FILE),
            Certificates.toPem(certificate).getBytes(StandardCharsets.US_ASCII),
            AtomicFiles.PUBLIC);
        // The identity appears whole or not at all: a crash before this rename leaves only the
        // staging directory, never half an identity, which the next start would refuse to
        // replace. The rename also takes the place of an empty identity/ a crash of an older
        // version left.
        Files.move(staging, directory, StandardCopyOption.ATOMIC_MOVE);
        AtomicFiles.fsyncDirectory(stateDir);
      } catch (IOException e) {
        // What is in the way was refused above: this is the disk (full, read-only, failing).
        throw new PairdException(
            AtomicFiles.startCode(e, ErrorCode.IDENTITY_INVALID),
            "cannot write the new device identity to "
                + directory
                + ": "
                + PemFiles.describe(e)
                + ". "
                + AtomicFiles.remedy(stateDir)
                + ", then start paird again: it generates the identity afresh",
            e);
      }
    } finally {
      Arrays.fill(keyDer, (byte) 0);
      Arrays.fill(keyBytes, (byte) 0);
    }
    // Read back what the next start will read, so that this start uses nothing else.
    return load(
        directory.resolve(CERT_FILE), directory.resolve(KEY_FILE), LinkOption.NOFOLLOW_LINKS);
  }

  private static PairdException invalid(String message) {
    return new PairdException(ErrorCode.IDENTITY_INVALID, message);
  }

  /** The device's certificate, as peers receive it in the TLS handshake and pin it. */
  public X509Certificate certificate() {
    return certificate;
  }

  /** The certificate's private key. Hand it to the TLS stack and nowhere else. */
  public PrivateKey privateKey() {
    return privateKey;
  }

  /** The certificate's SHA-256 fingerprint, 64 lowercase hex digits. */
  public String fingerprint() {
    return fingerprint;
  }

  /** The certificate's subject, RFC 2253, for example {@code CN=kitchen-pi}. */
  public String subject() {
    return subject;
  }

  /** The key's kind and size for people, for example {@code EC P-256} or {@code RSA 3072}. */
  public String keyType() {
    return keyType;
  }

  /** Subject, key type and fingerprint; never the key. */
  @Override
  public String toString() {
    return "DeviceIdentity[" + subject + ", " + keyType + ", sha256=" + fingerprint + "]";
  }
}
