package io.pganalytics.collector;

/** The metric catalog against PostgreSQL 14. */
class Postgres14CatalogIT extends FamilyCatalogContract {

    @Override
    int major() {
        return 140000;
    }

    @Override
    String bundleVersion() {
        return "14.24.0";
    }
}
