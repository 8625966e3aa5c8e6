package io.pganalytics.collector;

/** The metric catalog against PostgreSQL 18. */
class Postgres18CatalogIT extends FamilyCatalogContract {

    @Override
    int major() {
        return 180000;
    }

    @Override
    String bundleVersion() {
        return "18.6.0";
    }
}
