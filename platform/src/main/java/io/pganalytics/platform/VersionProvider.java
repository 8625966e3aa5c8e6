package io.pganalytics.platform;

import picocli.CommandLine;

/** Reports the version of the running jar for {@code --version}. */
public final class VersionProvider implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() {
        String version = Main.class.getPackage().getImplementationVersion();
        return new String[] {"pgAnalytics " + (version == null ? "dev" : version),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
    }
}
