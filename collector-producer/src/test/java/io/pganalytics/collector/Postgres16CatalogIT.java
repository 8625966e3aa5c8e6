package io.pganalytics.collector;

/** The metric catalog against PostgreSQL 16. */
class Postgres16CatalogIT extends FamilyCatalogContract {

    @Override
    int major() {
        return 160000;
    }

    @Override
    String bundleVersion() {
        return "16.15.0";
    }
}
