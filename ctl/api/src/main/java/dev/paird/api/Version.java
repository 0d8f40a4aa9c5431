package dev.paird.api;

/** The release of this build, from the jar manifest; "dev" when run from unpackaged classes. */
public final class Version {
  private Version() {}

  public static String current() {
    String version = Version.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }
}
