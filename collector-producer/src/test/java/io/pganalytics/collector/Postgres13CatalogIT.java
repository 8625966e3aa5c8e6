package io.pganalytics.collector;

/** The metric catalog against PostgreSQL 13. */
class Postgres13CatalogIT extends FamilyCatalogContract {

    @Override
    int major() {
        return 130000;
    }

    @Override
    String bundleVersion() {
        return "13.23.0";
    }
}
